//! From the TSDL syntax tree to `Metadata`: gives attributes their meaning.
//!
//! Owns type aliases and named types, the native byte order, default alignments, field
//! meanings (babeltrace2's by-name rules per scope), resolution of sequence lengths and variant
//! tags to decoder registers, and which fields babeltrace2 would show.

use super::tsdl::{Attr, Dim, EnumEntry, Stmt, SyntaxError, TypeSpec, Value};
use super::types::*;
use std::collections::{HashMap, HashSet};

type Result<T> = std::result::Result<T, SyntaxError>;

fn fail<T>(offset: usize, msg: impl Into<String>) -> Result<T> {
    Err(SyntaxError {
        offset,
        msg: msg.into(),
    })
}

/// The scope a field is declared in: decides which names carry a special meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    PacketHeader,
    PacketContext,
    EventHeader,
    Context,
    Payload,
}

fn meaning_of(scope: Scope, name: &str) -> Meaning {
    match (scope, name) {
        (Scope::PacketHeader, "magic") => Meaning::Magic,
        (Scope::PacketHeader, "stream_id") => Meaning::StreamClassId,
        (Scope::PacketHeader, "stream_instance_id") => Meaning::StreamInstanceId,
        (Scope::PacketContext, "timestamp_begin") => Meaning::PacketBegin,
        (Scope::PacketContext, "timestamp_end") => Meaning::PacketEnd,
        (Scope::PacketContext, "content_size") => Meaning::ContentSize,
        (Scope::PacketContext, "packet_size") => Meaning::PacketSize,
        (Scope::PacketContext, "packet_seq_num") => Meaning::SeqNum,
        (Scope::PacketContext, "events_discarded") => Meaning::Discarded,
        (Scope::EventHeader, "id") => Meaning::EventId,
        _ => Meaning::None,
    }
}

/// Builds the metadata model of a parsed TSDL text.
pub fn build(stmts: &[Stmt]) -> Result<Metadata> {
    let mut b = Builder {
        aliases: HashMap::new(),
        named: HashMap::new(),
        big_endian: trace_byte_order(stmts)?,
        clocks: Vec::new(),
        mapped_clock: None,
        registers: 0,
        frames: Vec::new(),
        warnings: Vec::new(),
        built_types: 0,
    };
    let mut meta = Metadata {
        uuid: None,
        big_endian: b.big_endian,
        packet_header: None,
        clock: None,
        streams: Vec::new(),
        env: Vec::new(),
        registers: 0,
        warnings: Vec::new(),
    };
    let mut events = Vec::new();
    let mut saw_trace = false;
    for stmt in stmts {
        match stmt {
            Stmt::Block { kind, body, offset } => match kind.as_str() {
                "trace" => {
                    saw_trace = true;
                    b.trace_block(body, &mut meta)?
                }
                "env" => meta.env = env_block(body),
                "clock" => b.clock_block(body, *offset)?,
                "stream" => meta.streams.push(b.stream_block(body, *offset)?),
                "event" => events.push(b.event_block(body, *offset)?),
                _ => {}
            },
            other => b.declaration(other)?,
        }
    }
    if !saw_trace {
        return fail(0, "metadata has no `trace` block");
    }
    attach_events(&mut meta, events)?;
    meta.clock = b.default_clock();
    meta.registers = b.registers as usize;
    meta.warnings = b.warnings;
    Ok(meta)
}

/// The trace's `byte_order`, needed before any type is built ("native" refers to it).
fn trace_byte_order(stmts: &[Stmt]) -> Result<bool> {
    for stmt in stmts {
        if let Stmt::Block { kind, body, .. } = stmt {
            if kind != "trace" {
                continue;
            }
            for s in body {
                if let Stmt::Attr(a) = s {
                    if a.key == "byte_order" {
                        return match byte_order(a)? {
                            Some(be) => Ok(be),
                            None => fail(a.offset, "trace byte_order cannot be `native`"),
                        };
                    }
                }
            }
            return fail(0, "trace block has no byte_order");
        }
    }
    fail(0, "metadata has no `trace` block")
}

/// `Some(big_endian)`, or `None` for `native`.
fn byte_order(a: &Attr) -> Result<Option<bool>> {
    match &a.value {
        Value::Ident(s) => match s.as_str() {
            "le" | "little" => Ok(Some(false)),
            "be" | "big" | "network" => Ok(Some(true)),
            "native" => Ok(None),
            _ => fail(a.offset, format!("unknown byte_order `{s}`")),
        },
        _ => fail(a.offset, "byte_order must be le, be, network or native"),
    }
}

fn env_block(body: &[Stmt]) -> Vec<(String, EnvValue)> {
    body.iter()
        .filter_map(|s| match s {
            Stmt::Attr(Attr {
                key,
                value: Value::Int(v),
                ..
            }) => Some((key.clone(), EnvValue::Int(*v as i64))),
            Stmt::Attr(Attr {
                key,
                value: Value::Str(v) | Value::Ident(v),
                ..
            }) => Some((key.clone(), EnvValue::Str(v.clone()))),
            _ => None,
        })
        .collect()
}

fn attach_events(meta: &mut Metadata, events: Vec<(Option<u64>, EventClass)>) -> Result<()> {
    if meta.streams.is_empty() && !events.is_empty() {
        meta.streams.push(StreamClass {
            id: 0,
            packet_context: None,
            event_header: None,
            event_context: None,
            events: Vec::new(),
            by_id: HashMap::new(),
            dense: Vec::new(),
            quick_header: None,
        });
    }
    let single = meta.streams.len() == 1;
    for (stream_id, ev) in events {
        let sc = match stream_id {
            Some(id) => meta.streams.iter_mut().find(|s| s.id == id),
            None if single => meta.streams.first_mut(),
            None => None,
        };
        let Some(sc) = sc else {
            return fail(
                0,
                format!("event `{}` names no declared stream class", ev.name),
            );
        };
        let sets_clock = |f: &Option<Field>| f.as_ref().is_some_and(|f| f.ty.sets_clock());
        let mut ev = ev;
        ev.plain_rest =
            !sets_clock(&sc.event_context) && !sets_clock(&ev.context) && !sets_clock(&ev.payload);
        sc.index_event(ev.id, sc.events.len());
        sc.events.push(ev);
    }
    Ok(())
}

fn int_value(a: &Attr) -> Result<i128> {
    match &a.value {
        Value::Int(v) => Ok(*v),
        _ => fail(a.offset, format!("`{}` needs an integer", a.key)),
    }
}

fn bool_value(a: &Attr) -> Result<bool> {
    match &a.value {
        Value::Int(v) => Ok(*v != 0),
        Value::Ident(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::Ident(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => fail(a.offset, format!("`{}` needs true or false", a.key)),
    }
}

/// A string attribute: babeltrace2 takes an unquoted identifier (`name = ev;`) as a string.
fn str_value(a: &Attr) -> Result<&str> {
    match &a.value {
        Value::Str(s) | Value::Ident(s) => Ok(s),
        _ => fail(a.offset, format!("`{}` needs a string", a.key)),
    }
}

fn parse_uuid(a: &Attr) -> Result<[u8; 16]> {
    let hex: String = str_value(a)?.chars().filter(|c| *c != '-').collect();
    let mut out = [0u8; 16];
    if hex.len() != 32 {
        return fail(a.offset, "malformed UUID");
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap_or("zz"), 16)
            .or_else(|_| fail(a.offset, "malformed UUID"))?;
    }
    Ok(out)
}

fn check_align(offset: usize, align: i128) -> Result<u32> {
    if align <= 0 || align > 1 << 20 || (align & (align - 1)) != 0 {
        return fail(offset, format!("alignment {align} is not a power of two"));
    }
    Ok(align as u32)
}

fn strip_underscore(name: &str) -> String {
    name.strip_prefix('_').unwrap_or(name).to_string()
}

struct Builder {
    aliases: HashMap<String, (TypeSpec, Vec<Dim>)>,
    named: HashMap<String, TypeSpec>,
    big_endian: bool,
    clocks: Vec<Clock>,
    mapped_clock: Option<String>,
    registers: u16,
    /// Fields already built in each enclosing struct, innermost last: where references look.
    frames: Vec<Frame>,
    /// What babeltrace2 warns about and ignores: unknown attributes and scopes.
    warnings: Vec<Warning>,
    /// Field types built so far (aliases expanded), enumeration labels copied and fields
    /// looked through: bounded by `MAX_TYPES`, which bounds the model's size and the time
    /// building it takes.
    built_types: usize,
}

/// The fields of a struct or variant being built, and where the last of each name is.
#[derive(Default)]
struct Frame {
    fields: Vec<Field>,
    by_name: HashMap<String, usize>,
}

/// The most field types the metadata of one trace may expand to. Nested aliases make the
/// model grow exponentially with the text (1 KB can ask for 16 M integers); real traces need
/// far fewer (an LTTng kernel trace with every event, about 10 000). At the bound, the model
/// takes about 40 MB.
const MAX_TYPES: usize = 1 << 17;

impl Builder {
    /// Records a warning once, however many times an alias brings its cause back.
    fn warn(&mut self, offset: usize, msg: String) {
        let w = Warning {
            offset: offset as u64,
            line: 0,
            msg,
        };
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    fn unknown_attr(&mut self, a: &Attr, what: &str) {
        self.warn(
            a.offset,
            format!("unknown attribute `{}` in {what} (ignored)", a.key),
        );
    }

    fn declaration(&mut self, stmt: &Stmt) -> Result<()> {
        match stmt {
            Stmt::TypeAlias {
                ty, dims, alias, ..
            } => {
                self.aliases
                    .insert(alias.clone(), (ty.clone(), dims.clone()));
            }
            Stmt::TypeDecl(ty, _) => self.register_named(ty),
            Stmt::Field { offset, .. } => {
                return fail(*offset, "field declaration outside of a struct")
            }
            Stmt::Attr(a) => {
                return fail(
                    a.offset,
                    format!("unexpected attribute `{}` at top level", a.key),
                )
            }
            Stmt::TypeAssign { offset, key, .. } => {
                return fail(*offset, format!("unexpected `{key} :=` at top level"))
            }
            Stmt::Block { .. } => {}
        }
        Ok(())
    }

    fn register_named(&mut self, ty: &TypeSpec) {
        let key = match ty {
            TypeSpec::Struct {
                name: Some(n),
                body: Some(_),
                ..
            } => format!("struct {n}"),
            TypeSpec::Variant {
                name: Some(n),
                body: Some(_),
                ..
            } => format!("variant {n}"),
            TypeSpec::Enum {
                name: Some(n),
                body: Some(_),
                ..
            } => format!("enum {n}"),
            _ => return,
        };
        self.named.insert(key, ty.clone());
    }

    fn trace_block(&mut self, body: &[Stmt], meta: &mut Metadata) -> Result<()> {
        for stmt in body {
            match stmt {
                Stmt::Attr(a) => match a.key.as_str() {
                    "major" if int_value(a)? != 1 => {
                        return fail(a.offset, "only CTF major version 1 is supported")
                    }
                    "uuid" => meta.uuid = Some(parse_uuid(a)?),
                    "major" | "minor" | "byte_order" => {}
                    _ => self.unknown_attr(a, "trace block"),
                },
                Stmt::TypeAssign { key, ty, offset } if key == "packet.header" => {
                    meta.packet_header =
                        Some(self.root(ty, "packet.header", Scope::PacketHeader, *offset)?);
                }
                Stmt::TypeAssign { key, offset, .. } => {
                    self.warn(*offset, format!("unknown trace scope `{key}` (ignored)"))
                }
                other => self.declaration(other)?,
            }
        }
        if let Some(h) = meta.packet_header.as_mut() {
            h.visible = false;
        }
        Ok(())
    }

    fn clock_block(&mut self, body: &[Stmt], offset: usize) -> Result<()> {
        let mut clock = Clock {
            name: String::new(),
            freq: 1_000_000_000,
            offset_s: 0,
            offset_cycles: 0,
            absolute: false,
            uuid: None,
        };
        let mut cycles: i128 = 0;
        for stmt in body {
            let Stmt::Attr(a) = stmt else { continue };
            match a.key.as_str() {
                "name" => {
                    clock.name = match &a.value {
                        Value::Str(s) | Value::Ident(s) => s.clone(),
                        Value::Int(_) => return fail(a.offset, "clock name must be a string"),
                    }
                }
                "freq" => match int_value(a)? {
                    f if f > 0 && f <= u64::MAX as i128 => clock.freq = f as u64,
                    _ => return fail(a.offset, "clock freq must be positive"),
                },
                "offset_s" => {
                    clock.offset_s = int_value(a)?.clamp(i64::MIN as i128, i64::MAX as i128) as i64
                }
                "offset" => cycles = int_value(a)?,
                "absolute" => clock.absolute = bool_value(a)?,
                "uuid" => clock.uuid = Some(parse_uuid(a)?),
                "description" | "precision" => {}
                _ => self.unknown_attr(a, "clock block"),
            }
        }
        if clock.name.is_empty() {
            return fail(offset, "clock block has no name");
        }
        let freq = clock.freq as i128;
        clock.offset_s = (clock.offset_s as i128 + cycles.div_euclid(freq))
            .clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        clock.offset_cycles = cycles.rem_euclid(freq) as u64;
        self.clocks.push(clock);
        Ok(())
    }

    /// The clock an unmapped timestamp field is read with, as babeltrace2 chooses it: the
    /// trace's only clock, or an implicit 1 GHz clock named `default` when it has none.
    fn implicit_clock(&mut self, field: &str, offset: usize) -> Result<()> {
        let name = match self.clocks.as_slice() {
            [] => {
                self.clocks.push(Clock {
                    name: "default".to_string(),
                    freq: 1_000_000_000,
                    offset_s: 0,
                    offset_cycles: 0,
                    absolute: false,
                    uuid: None,
                });
                "default".to_string()
            }
            [only] => only.name.clone(),
            _ => {
                return fail(
                    offset,
                    format!("timestamp field `{field}` is mapped to no clock, and the trace has several clocks"),
                )
            }
        };
        self.mapped_clock.get_or_insert(name);
        Ok(())
    }

    fn default_clock(&self) -> Option<Clock> {
        match &self.mapped_clock {
            Some(name) => self.clocks.iter().find(|c| &c.name == name).cloned(),
            None if self.clocks.len() == 1 => self.clocks.first().cloned(),
            None => None,
        }
    }

    fn stream_block(&mut self, body: &[Stmt], _offset: usize) -> Result<StreamClass> {
        let mut sc = StreamClass {
            id: 0,
            packet_context: None,
            event_header: None,
            event_context: None,
            events: Vec::new(),
            by_id: HashMap::new(),
            dense: Vec::new(),
            quick_header: None,
        };
        for stmt in body {
            match stmt {
                Stmt::Attr(a) if a.key == "id" => sc.id = int_value(a)? as u64,
                Stmt::TypeAssign { key, ty, offset } => {
                    let (slot, scope) = match key.as_str() {
                        "packet.context" => (&mut sc.packet_context, Scope::PacketContext),
                        "event.header" => (&mut sc.event_header, Scope::EventHeader),
                        "event.context" => (&mut sc.event_context, Scope::Context),
                        _ => {
                            self.warn(*offset, format!("unknown stream scope `{key}` (ignored)"));
                            continue;
                        }
                    };
                    *slot = Some(self.root(ty, key, scope, *offset)?);
                }
                Stmt::Attr(a) => self.unknown_attr(a, "stream block"),
                other => self.declaration(other)?,
            }
        }
        if let Some(h) = sc.event_header.as_mut() {
            h.visible = false;
            sc.quick_header = QuickHeader::of(h);
        }
        Ok(sc)
    }

    fn event_block(&mut self, body: &[Stmt], offset: usize) -> Result<(Option<u64>, EventClass)> {
        let mut ev = EventClass {
            id: 0,
            name: String::new(),
            loglevel: None,
            context: None,
            payload: None,
            plain_rest: false,
        };
        let mut stream_id = None;
        for stmt in body {
            match stmt {
                Stmt::Attr(a) => match a.key.as_str() {
                    "name" => ev.name = str_value(a)?.to_string(),
                    "id" => ev.id = int_value(a)? as u64,
                    "stream_id" => stream_id = Some(int_value(a)? as u64),
                    "loglevel" => ev.loglevel = Some(int_value(a)? as i64),
                    "model.emf.uri" => {}
                    _ => self.unknown_attr(a, "event block"),
                },
                Stmt::TypeAssign { key, ty, offset } => match key.as_str() {
                    "context" => ev.context = Some(self.root(ty, key, Scope::Context, *offset)?),
                    "fields" => ev.payload = Some(self.root(ty, key, Scope::Payload, *offset)?),
                    _ => self.warn(*offset, format!("unknown event scope `{key}` (ignored)")),
                },
                other => self.declaration(other)?,
            }
        }
        if ev.name.is_empty() {
            return fail(offset, "event block has no name");
        }
        Ok((stream_id, ev))
    }

    /// Builds a scope's root type, then works out which of its fields babeltrace2 shows.
    fn root(&mut self, spec: &TypeSpec, name: &str, scope: Scope, offset: usize) -> Result<Field> {
        let saved = std::mem::take(&mut self.frames);
        let built = self.ty(spec, &[], scope, offset, 0);
        self.frames = saved;
        let mut ty = built?;
        let timestamps: &[&str] = match scope {
            Scope::PacketContext => &["timestamp_begin", "timestamp_end"],
            Scope::EventHeader => &["timestamp"],
            _ => &[],
        };
        for name in timestamps {
            if unmapped_named(&mut ty, name, false) > 0 {
                self.implicit_clock(name, offset)?;
                unmapped_named(&mut ty, name, true);
            }
        }
        let visible = mark_visible(&mut ty, &mut HashSet::new());
        fixed_size(&mut ty);
        Ok(Field {
            name: name.to_string(),
            raw: name.to_string(),
            ty,
            visible,
        })
    }

    /// Builds a type from its specifier plus declarator dimensions (outermost first).
    fn ty(
        &mut self,
        spec: &TypeSpec,
        dims: &[Dim],
        scope: Scope,
        offset: usize,
        depth: usize,
    ) -> Result<Type> {
        self.charge(1, offset)?;
        if depth > 64 {
            return fail(
                offset,
                "type aliases nest too deeply (or refer to themselves)",
            );
        }
        let Some((first, rest)) = dims.split_first() else {
            return self.base(spec, scope, offset, depth);
        };
        let elem = self.ty(spec, rest, scope, offset, depth + 1)?;
        let len = match first {
            Dim::Fixed(n) => Len::Fixed(*n),
            Dim::Field(path) => Len::Reg(self.resolve(path, offset)?.0),
        };
        let text = matches!(&elem, Type::Int(i) if i.text && i.size == 8 && i.align % 8 == 0);
        Ok(Type::Array(Array {
            elem: Box::new(elem),
            len,
            text,
        }))
    }

    fn base(&mut self, spec: &TypeSpec, scope: Scope, offset: usize, depth: usize) -> Result<Type> {
        match spec {
            TypeSpec::Integer(attrs) => Ok(Type::Int(self.int(attrs, offset)?)),
            TypeSpec::Float(attrs) => Ok(Type::Float(self.float(attrs, offset)?)),
            TypeSpec::String(_) => Ok(Type::String),
            TypeSpec::Named(name) => {
                let Some((spec, dims)) = self.aliases.get(name).cloned() else {
                    return fail(offset, format!("unknown type `{name}`"));
                };
                self.ty(&spec, &dims, scope, offset, depth + 1)
            }
            TypeSpec::Struct { name, body, align } => {
                self.struct_ty(name, body, *align, scope, offset, depth)
            }
            TypeSpec::Variant { name, tag, body } => {
                self.variant_ty(name, tag, body, scope, offset, depth)
            }
            TypeSpec::Enum {
                name,
                container,
                body,
            } => self.enum_ty(name, container, body, scope, offset, depth),
        }
    }

    fn int(&mut self, attrs: &[Attr], offset: usize) -> Result<Int> {
        let mut int = Int {
            size: 0,
            align: 0,
            signed: false,
            big_endian: self.big_endian,
            base: Base::Dec,
            text: false,
            clock: false,
            meaning: Meaning::None,
            reg: None,
        };
        for a in attrs {
            match a.key.as_str() {
                "size" => match int_value(a)? {
                    s @ 1..=64 => int.size = s as u32,
                    s => return fail(a.offset, format!("integer size {s} is not in 1..64")),
                },
                "align" => int.align = check_align(a.offset, int_value(a)?)?,
                "signed" => int.signed = bool_value(a)?,
                "byte_order" => int.big_endian = byte_order(a)?.unwrap_or(self.big_endian),
                "base" => int.base = base(a)?,
                "encoding" => int.text = encoding(a)?,
                "map" => int.clock = self.map_clock(a)?,
                _ => self.unknown_attr(a, "integer"),
            }
        }
        if int.size == 0 {
            return fail(offset, "integer has no size");
        }
        if int.align == 0 {
            int.align = if int.size % 8 == 0 { 8 } else { 1 };
        }
        Ok(int)
    }

    fn map_clock(&mut self, a: &Attr) -> Result<bool> {
        let Value::Ident(path) = &a.value else {
            return fail(a.offset, "map needs clock.NAME.value");
        };
        let name = path
            .strip_prefix("clock.")
            .and_then(|p| p.strip_suffix(".value"));
        match name {
            Some(n) if self.clocks.iter().any(|c| c.name == n) => {
                self.mapped_clock.get_or_insert_with(|| n.to_string());
                Ok(true)
            }
            _ => fail(a.offset, format!("map = {path} names no declared clock")),
        }
    }

    fn float(&mut self, attrs: &[Attr], offset: usize) -> Result<Float> {
        let (mut exp, mut mant) = (0, 0);
        let mut f = Float {
            size: 0,
            align: 8,
            big_endian: self.big_endian,
        };
        for a in attrs {
            match a.key.as_str() {
                "exp_dig" => exp = int_value(a)?,
                "mant_dig" => mant = int_value(a)?,
                "align" => f.align = check_align(a.offset, int_value(a)?)?,
                "byte_order" => f.big_endian = byte_order(a)?.unwrap_or(self.big_endian),
                _ => self.unknown_attr(a, "floating point"),
            }
        }
        f.size = match (exp, mant) {
            (8, 24) => 32,
            (11, 53) => 64,
            _ => {
                return fail(
                    offset,
                    format!("unsupported floating point exp_dig={exp} mant_dig={mant}"),
                )
            }
        };
        Ok(f)
    }

    fn lookup_named(
        &self,
        kind: &str,
        name: &Option<String>,
        has_body: bool,
        offset: usize,
    ) -> Result<Option<TypeSpec>> {
        match name {
            Some(n) if !has_body => match self.named.get(&format!("{kind} {n}")) {
                Some(spec) => Ok(Some(spec.clone())),
                None => fail(offset, format!("unknown {kind} `{n}`")),
            },
            _ => Ok(None),
        }
    }

    fn struct_ty(
        &mut self,
        name: &Option<String>,
        body: &Option<Vec<Stmt>>,
        align: Option<u64>,
        scope: Scope,
        offset: usize,
        depth: usize,
    ) -> Result<Type> {
        if let Some(TypeSpec::Struct {
            body,
            align: named_align,
            ..
        }) = self.lookup_named("struct", name, body.is_some(), offset)?
        {
            return self.struct_ty(
                &None,
                &body,
                align.or(named_align),
                scope,
                offset,
                depth + 1,
            );
        }
        let body = body.as_deref().unwrap_or_default();
        self.register_named(&TypeSpec::Struct {
            name: name.clone(),
            body: Some(body.to_vec()),
            align,
        });
        self.frames.push(Frame::default());
        let built = self.members(body, scope, depth);
        let fields = self.frames.pop().unwrap_or_default().fields;
        built?;
        let declared = check_align(offset, align.unwrap_or(1) as i128)?;
        let align = fields.iter().map(|f| f.ty.align()).fold(declared, u32::max);
        Ok(Type::Struct(Struct {
            align,
            fields,
            fixed_bits: None,
        }))
    }

    /// Builds the members of a struct or variant body into the innermost frame.
    fn members(&mut self, body: &[Stmt], scope: Scope, depth: usize) -> Result<()> {
        for stmt in body {
            match stmt {
                Stmt::Field {
                    ty,
                    name,
                    dims,
                    offset,
                } => {
                    let mut built = self.ty(ty, dims, scope, *offset, depth + 1)?;
                    set_meaning(&mut built, meaning_of(scope, name));
                    let field = Field {
                        name: strip_underscore(name),
                        raw: name.clone(),
                        ty: built,
                        visible: true,
                    };
                    if let Some(frame) = self.frames.last_mut() {
                        frame.by_name.insert(field.raw.clone(), frame.fields.len());
                        frame.fields.push(field);
                    }
                }
                other => self.declaration(other)?,
            }
        }
        Ok(())
    }

    fn variant_ty(
        &mut self,
        name: &Option<String>,
        tag: &Option<String>,
        body: &Option<Vec<Stmt>>,
        scope: Scope,
        offset: usize,
        depth: usize,
    ) -> Result<Type> {
        if let Some(TypeSpec::Variant {
            tag: named_tag,
            body,
            ..
        }) = self.lookup_named("variant", name, body.is_some(), offset)?
        {
            return self.variant_ty(
                &None,
                &tag.clone().or(named_tag),
                &body,
                scope,
                offset,
                depth + 1,
            );
        }
        let Some(tag) = tag else {
            return fail(offset, "variant has no tag");
        };
        let body = body.as_deref().unwrap_or_default();
        self.register_named(&TypeSpec::Variant {
            name: name.clone(),
            tag: None,
            body: Some(body.to_vec()),
        });
        let (reg, mappings) = self.resolve(tag, offset)?;
        let Some(mappings) = mappings else {
            return fail(offset, format!("variant tag `{tag}` is not an enumeration"));
        };
        self.frames.push(Frame::default());
        let built = self.members(body, scope, depth);
        let options = self.frames.pop().unwrap_or_default().fields;
        built?;
        // The first option whose name, as written or printed, is the label or the label
        // without its underscore.
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for (i, o) in options.iter().enumerate().rev() {
            by_name.insert(&o.raw, i);
            by_name.insert(&o.name, i);
        }
        let by_printed: HashMap<&str, usize> = options
            .iter()
            .enumerate()
            .rev()
            .map(|(i, o)| (o.name.as_str(), i))
            .collect();
        let select = mappings
            .iter()
            .filter_map(|m| {
                let stripped = by_printed.get(strip_underscore(&m.label).as_str());
                let i = [by_name.get(m.label.as_str()), stripped]
                    .into_iter()
                    .flatten()
                    .min()?;
                Some((m.lo, m.hi, *i))
            })
            .collect();
        Ok(Type::Variant(Variant {
            tag: reg,
            options,
            select,
        }))
    }

    fn enum_ty(
        &mut self,
        name: &Option<String>,
        container: &Option<Box<TypeSpec>>,
        body: &Option<Vec<EnumEntry>>,
        scope: Scope,
        offset: usize,
        depth: usize,
    ) -> Result<Type> {
        if let Some(TypeSpec::Enum {
            container, body, ..
        }) = self.lookup_named("enum", name, body.is_some(), offset)?
        {
            return self.enum_ty(&None, &container, &body, scope, offset, depth + 1);
        }
        let container = match container {
            Some(c) => self.ty(c, &[], scope, offset, depth + 1)?,
            None => self.ty(
                &TypeSpec::Named("int".into()),
                &[],
                scope,
                offset,
                depth + 1,
            )?,
        };
        let Type::Int(int) = container else {
            return fail(offset, "enum container is not an integer");
        };
        let entries = body.as_deref().unwrap_or_default();
        self.register_named(&TypeSpec::Enum {
            name: name.clone(),
            container: None,
            body: Some(entries.to_vec()),
        });
        let mut next: i128 = 0;
        let mut mappings = Vec::with_capacity(entries.len());
        for e in entries {
            let (lo, hi) = e.range.unwrap_or((next, next));
            if lo > hi {
                return fail(e.offset, format!("enum range {lo} ... {hi} is reversed"));
            }
            next = hi + 1;
            mappings.push(Mapping {
                label: e.label.clone(),
                lo,
                hi,
            });
        }
        Ok(Type::Enum(Enum { int, mappings }))
    }

    /// Counts `n` more units of model (types, labels, fields looked through) against
    /// `MAX_TYPES`.
    fn charge(&mut self, n: usize, offset: usize) -> Result<()> {
        self.built_types = self.built_types.saturating_add(n);
        if self.built_types > MAX_TYPES {
            return fail(
                offset,
                format!("metadata expands to more than {MAX_TYPES} field types, enumeration labels and lookups (nested type aliases or structs): refused"),
            );
        }
        Ok(())
    }

    /// Finds the integer a length or tag path names among the fields built so far and gives
    /// it a register. Returns the register and, for an enumeration, its mappings.
    fn resolve(&mut self, path: &str, offset: usize) -> Result<(u16, Option<Vec<Mapping>>)> {
        let parts: Vec<&str> = path.split('.').collect();
        let mut looked = 0;
        let start = (0..parts.len())
            .find(|&s| find_in_frames(&mut self.frames, &parts[s..], &mut looked).is_some());
        self.charge(looked, offset)?;
        let found = start.and_then(|s| find_in_frames(&mut self.frames, &parts[s..], &mut 0));
        let Some(ty) = found else {
            return fail(offset, format!("cannot resolve field path `{path}`"));
        };
        let (int, mappings) = match ty {
            Type::Int(i) => (i, None),
            Type::Enum(e) => (&mut e.int, Some(e.mappings.clone())),
            _ => return fail(offset, format!("`{path}` is not an integer field")),
        };
        let labels = mappings.as_ref().map_or(0, Vec::len);
        let reg = match int.reg {
            Some(r) => r,
            None => {
                let r = self.registers;
                self.registers = self.registers.checked_add(1).ok_or(SyntaxError {
                    offset,
                    msg: "too many length and tag fields".into(),
                })?;
                int.reg = Some(r);
                r
            }
        };
        self.charge(labels, offset)?;
        Ok((reg, mappings))
    }
}

/// The type `parts` names: its first part in the innermost frame that has it, the others
/// inside that field's structs. `looked` counts the fields looked through.
fn find_in_frames<'a>(
    frames: &'a mut [Frame],
    parts: &[&str],
    looked: &mut usize,
) -> Option<&'a mut Type> {
    let (first, rest) = parts.split_first()?;
    *looked += frames.len();
    let frame = frames
        .iter_mut()
        .rev()
        .find(|f| f.by_name.contains_key(*first))?;
    let at = frame.by_name[*first];
    let mut ty = &mut frame.fields[at].ty;
    for part in rest {
        let Type::Struct(s) = ty else { return None };
        *looked += s.fields.len();
        ty = &mut s.fields.iter_mut().find(|x| x.raw == *part)?.ty;
    }
    Some(ty)
}

/// Counts the integers named `name` that no clock maps in `ty`'s structs and variants (not
/// in arrays), where babeltrace2 looks for timestamp fields to map to a clock implicitly;
/// with `map`, maps them.
fn unmapped_named(ty: &mut Type, name: &str, map: bool) -> usize {
    let members = match ty {
        Type::Struct(s) => &mut s.fields,
        Type::Variant(v) => &mut v.options,
        _ => return 0,
    };
    let mut n = 0;
    for f in members.iter_mut() {
        let named = f.name == name;
        let int = match &mut f.ty {
            Type::Int(i) if named && !i.clock => i,
            Type::Enum(e) if named && !e.int.clock => &mut e.int,
            other => {
                n += unmapped_named(other, name, map);
                continue;
            }
        };
        int.clock |= map;
        n += 1;
    }
    n
}

fn set_meaning(ty: &mut Type, meaning: Meaning) {
    if meaning == Meaning::None {
        return;
    }
    match ty {
        Type::Int(i) => i.meaning = meaning,
        Type::Enum(e) => e.int.meaning = meaning,
        _ => {}
    }
}

fn base(a: &Attr) -> Result<Base> {
    let b = match &a.value {
        Value::Int(2) => Base::Bin,
        Value::Int(8) => Base::Oct,
        Value::Int(10) => Base::Dec,
        Value::Int(16) => Base::Hex,
        Value::Ident(s) => match s.as_str() {
            "decimal" | "dec" | "d" | "i" | "u" => Base::Dec,
            "hexadecimal" | "hex" | "x" | "X" | "p" => Base::Hex,
            "octal" | "oct" | "o" => Base::Oct,
            "binary" | "b" => Base::Bin,
            _ => return fail(a.offset, format!("unknown integer base `{s}`")),
        },
        _ => return fail(a.offset, "integer base must be 2, 8, 10 or 16"),
    };
    Ok(b)
}

fn encoding(a: &Attr) -> Result<bool> {
    match &a.value {
        Value::Ident(s) => match s.as_str() {
            "none" => Ok(false),
            "UTF8" | "ASCII" | "utf8" | "ascii" => Ok(true),
            _ => fail(a.offset, format!("unknown encoding `{s}`")),
        },
        _ => fail(a.offset, "encoding must be none, UTF8 or ASCII"),
    }
}

/// babeltrace2's "in IR" rule: clock-mapped and special integers are hidden unless a shown
/// sequence or variant depends on them; containers are shown when any member is. Members are
/// visited last to first so dependents are known before their length or tag.
fn mark_visible(ty: &mut Type, deps: &mut HashSet<u16>) -> bool {
    match ty {
        Type::Int(i) => int_visible(i, deps),
        Type::Enum(e) => int_visible(&e.int, deps),
        Type::Float(_) | Type::String => true,
        Type::Struct(s) => {
            let mut any = s.fields.is_empty();
            for f in s.fields.iter_mut().rev() {
                f.visible = mark_visible(&mut f.ty, deps);
                any |= f.visible;
            }
            any
        }
        Type::Array(a) => {
            let shown = mark_visible(&mut a.elem, deps);
            if let (true, Len::Reg(r)) = (shown, a.len) {
                deps.insert(r);
            }
            shown
        }
        Type::Variant(v) => {
            let mut any = false;
            for f in v.options.iter_mut().rev() {
                any |= mark_visible(&mut f.ty, deps);
            }
            for f in v.options.iter_mut() {
                f.visible = any;
            }
            if any {
                deps.insert(v.tag);
            }
            any
        }
    }
}

/// Size in bits of a type whose layout never depends on the data, recording it in every
/// such struct. Alignment padding inside is constant because a struct starts aligned to its
/// largest member alignment.
fn fixed_size(ty: &mut Type) -> Option<u64> {
    match ty {
        Type::Int(i) if i.is_plain() => Some(u64::from(i.size)),
        Type::Float(f) => Some(u64::from(f.size)),
        Type::Struct(s) => {
            let mut offset = Some(0u64);
            for f in s.fields.iter_mut() {
                let align = u64::from(f.ty.align());
                let size = fixed_size(&mut f.ty);
                offset = offset
                    .zip(size)
                    .map(|(o, size)| o.div_ceil(align) * align + size);
            }
            s.fixed_bits = offset;
            offset
        }
        Type::Array(a) => {
            let elem = fixed_size(&mut a.elem)?;
            let stride_ok = elem % u64::from(a.elem.align()) == 0;
            match a.len {
                Len::Fixed(n) if stride_ok => elem.checked_mul(n),
                _ => None,
            }
        }
        _ => None,
    }
}

fn int_visible(i: &Int, deps: &HashSet<u16>) -> bool {
    (!i.clock && !i.meaning.hides()) || i.reg.is_some_and(|r| deps.contains(&r))
}

#[cfg(test)]
mod tests {
    use super::super::tsdl::parse;
    use super::*;

    const META: &str = r#"/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 5; align = 1; signed = false; } := uint5_t;
trace { major = 1; minor = 8; byte_order = le;
  packet.header := struct { uint32_t magic; uint32_t stream_id; }; };
clock { name = "monotonic"; freq = 1000000000; offset = 1500000000; };
typealias integer { size = 64; map = clock.monotonic.value; } := ts_t;
stream { id = 0;
  packet.context := struct { ts_t timestamp_begin; uint64_t content_size; uint32_t cpu_id; };
  event.header := struct { enum : uint5_t { compact = 0 ... 30, extended = 31 } id;
     variant <id> { struct { uint32_t x; } compact; struct { uint32_t id; ts_t timestamp; } extended; } v; };
};
event { name = "p:e"; id = 3; stream_id = 0;
  fields := struct { uint32_t __n_length; uint8_t _n[__n_length]; ts_t _when; integer { size = 8; encoding = UTF8; } _txt[4]; }; };
"#;

    fn meta() -> Metadata {
        build(&parse(META).expect("parses")).expect("builds")
    }

    #[test]
    fn lttng_shaped_headers_get_a_quick_form() {
        assert_eq!(
            meta().streams[0].quick_header,
            None,
            "compact option without a clock"
        );
        let ts = "integer { size = 27; align = 1; signed = false; map = clock.monotonic.value; }";
        let lttng = META.replace(
            "struct { uint32_t x; } compact;",
            &format!("struct {{ {ts} timestamp; }} compact;"),
        );
        let m = build(&parse(&lttng).expect("parses")).expect("builds");
        let q = m.streams[0].quick_header.as_ref().expect("quick form");
        assert_eq!((q.compact_max, q.id.size, q.timestamp.size), (30, 5, 27));
        let overlapped = lttng.replace("extended = 31", "extended = 20 ... 31");
        let m = build(&parse(&overlapped).expect("parses")).expect("builds");
        assert_eq!(
            m.streams[0].quick_header.as_ref().map(|q| q.compact_max),
            Some(30)
        );
        let shadowed = lttng.replace(
            "{ compact = 0 ... 30, extended = 31 }",
            "{ extended = 20 ... 31, compact = 0 ... 30 }",
        );
        let m = build(&parse(&shadowed).expect("parses")).expect("builds");
        assert_eq!(
            m.streams[0].quick_header, None,
            "ids 20..30 select `extended`"
        );
    }

    #[test]
    fn clock_offset_is_normalised() {
        let c = meta().clock.expect("clock");
        assert_eq!((c.offset_s, c.offset_cycles), (1, 500_000_000));
        assert_eq!(c.ns_from_origin(7), Some(1_500_000_007));
    }

    #[test]
    fn special_fields_are_hidden_and_lengths_resolved() {
        let m = meta();
        let sc = &m.streams[0];
        let Type::Struct(pc) = &sc.packet_context.as_ref().unwrap().ty else {
            panic!()
        };
        let shown: Vec<&str> = pc
            .fields
            .iter()
            .filter(|f| f.visible)
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(shown, ["cpu_id"]);
        let ev = &sc.events[sc.class_index(3).unwrap()];
        let Type::Struct(p) = &ev.payload.as_ref().unwrap().ty else {
            panic!()
        };
        assert_eq!(p.fields[0].name, "_n_length");
        assert!(p.fields[0].visible, "a length field is shown");
        assert!(matches!(
            &p.fields[1].ty,
            Type::Array(Array {
                len: Len::Reg(_),
                ..
            })
        ));
        assert!(
            !p.fields[2].visible,
            "a clock-mapped payload integer is hidden"
        );
        assert!(matches!(
            &p.fields[3].ty,
            Type::Array(Array { text: true, .. })
        ));
    }

    /// 8 levels of aliases of 8-field structs: 8^8 = 16.7 M integers from 1 KB of text.
    fn expansion_bomb() -> String {
        let mut text = String::from(
            "/* CTF 1.8 */\ntypealias integer { size = 8; align = 8; signed = false; } := t0;\n",
        );
        for level in 1..=8 {
            let fields: String = "abcdefgh"
                .chars()
                .map(|f| format!("t{} {f}; ", level - 1))
                .collect();
            text += &format!("typealias struct {{ {fields}}} := t{level};\n");
        }
        text + "trace { major = 1; minor = 8; byte_order = le; };\nevent { name = \"x\"; fields := struct { t8 x; }; };\n"
    }

    #[test]
    fn metadata_expanding_past_the_bound_is_refused() {
        let bomb = expansion_bomb();
        assert!(bomb.len() < 1200, "{} bytes", bomb.len());
        let err = build(&parse(&bomb).unwrap()).unwrap_err();
        assert!(
            err.msg.contains("more than 131072 field types"),
            "{}",
            err.msg
        );
        let fine = bomb.replace("t8 x;", "t5 x;");
        let m = build(&parse(&fine).unwrap()).expect("8^5 integers are within the bound");
        let Type::Struct(p) = &m.streams[0].events[0].payload.as_ref().unwrap().ty else {
            panic!()
        };
        assert_eq!(p.fields.len(), 1);
    }

    #[test]
    fn lengths_and_tags_resolve_to_the_last_field_of_their_name() {
        let text = META.replace(
            "uint32_t __n_length; uint8_t _n[__n_length];",
            "uint8_t len; uint8_t a[len]; uint8_t len; uint8_t b[len]; \
             enum : uint8_t { X = 0, _Y = 1 } tag; variant <tag> { uint8_t _X; string Y; } v;",
        );
        let m = build(&parse(&text).unwrap()).unwrap();
        let ev = &m.streams[0].events[0];
        let Type::Struct(p) = &ev.payload.as_ref().unwrap().ty else {
            panic!()
        };
        let reg = |i: usize| match &p.fields[i].ty {
            Type::Int(int) => int.reg,
            Type::Array(Array {
                len: Len::Reg(r), ..
            }) => Some(*r),
            Type::Variant(v) => Some(v.tag),
            Type::Enum(e) => e.int.reg,
            _ => None,
        };
        assert_eq!(reg(1), reg(0));
        assert_eq!(reg(3), reg(2));
        assert_ne!(reg(0), reg(2));
        let Type::Variant(v) = &p.fields[5].ty else {
            panic!()
        };
        assert_eq!(v.tag, reg(4).unwrap());
        let chosen: Vec<&str> = [0, 1]
            .iter()
            .map(|&t| v.option_for(t).unwrap().raw.as_str())
            .collect();
        assert_eq!(
            chosen,
            ["_X", "Y"],
            "labels match options with or without `_`"
        );
    }

    #[test]
    fn semantic_errors_point_at_the_attribute() {
        let bad = META.replace("size = 5;", "size = 65;");
        let err = build(&parse(&bad).unwrap()).unwrap_err();
        assert!(err.msg.contains("65"), "{}", err.msg);
        assert_eq!(&bad[err.offset..err.offset + 4], "size");
        let bad = META.replace("__n_length]", "nope]");
        assert!(build(&parse(&bad).unwrap())
            .unwrap_err()
            .msg
            .contains("nope"));
    }
}
