//! System calls: number to name for this machine's architecture (x86-64 and arm64 tables;
//! elsewhere every call is `unknown`), and the CTF type of an entry argument from the C type
//! tracefs declares for it (`syscalls:sys_enter_<name>`).

mod aarch64;
mod x86_64;

use super::schema::{Ty, HEX64};

/// The names of this architecture's system calls, indexed by number ("" for none).
pub fn names() -> &'static [&'static str] {
    if cfg!(target_arch = "x86_64") {
        &x86_64::NAMES
    } else if cfg!(target_arch = "aarch64") {
        &aarch64::NAMES
    } else {
        &[]
    }
}

/// The CTF type lttng-modules gives an argument of C type `ctype`: pointers in hexadecimal,
/// integers with their width and signedness; an unknown type as a 64-bit unsigned integer.
pub fn arg_type(ctype: &str) -> Ty {
    if ctype.contains('*') {
        return HEX64;
    }
    let base = ctype
        .trim()
        .trim_start_matches("const ")
        .trim_start_matches("volatile ")
        .trim();
    let (bits, signed) = match base {
        "char" | "signed char" => (8, true),
        "unsigned char" | "u8" | "__u8" => (8, false),
        "short" | "signed short" => (16, true),
        "unsigned short" | "u16" | "__u16" | "umode_t" => (16, false),
        "int" | "signed int" | "pid_t" | "key_serial_t" | "clockid_t" | "timer_t" | "mqd_t"
        | "rwf_t" | "key_t" | "__s32" | "s32" => (32, true),
        "unsigned int" | "unsigned" | "u32" | "__u32" | "uid_t" | "gid_t" | "qid_t"
        | "old_uid_t" | "old_gid_t" | "fmode_t" => (32, false),
        "long"
        | "signed long"
        | "long long"
        | "off_t"
        | "loff_t"
        | "ssize_t"
        | "__s64"
        | "s64"
        | "time_t"
        | "__kernel_old_time_t" => (64, true),
        _ => (64, false),
    };
    Ty::Int {
        bits,
        signed,
        hex: false,
    }
}

/// Whether `name` can be a CTF field name as it is (a C identifier).
pub fn plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(bits: u8, signed: bool) -> Ty {
        Ty::Int {
            bits,
            signed,
            hex: false,
        }
    }

    #[test]
    fn argument_types_follow_their_c_types() {
        assert_eq!(arg_type("const char *"), HEX64);
        assert_eq!(arg_type("struct stat __user *"), HEX64);
        assert_eq!(arg_type("int"), int(32, true));
        assert_eq!(arg_type("unsigned int"), int(32, false));
        assert_eq!(arg_type("umode_t"), int(16, false));
        assert_eq!(arg_type("size_t"), int(64, false));
        assert_eq!(arg_type("loff_t"), int(64, true));
        assert_eq!(arg_type("const unsigned long"), int(64, false));
    }

    #[test]
    fn tables_name_well_known_calls() {
        let x = &x86_64::NAMES;
        assert_eq!(
            (x[0], x[1], x[5], x[39], x[59], x[60]),
            ("read", "write", "newfstat", "getpid", "execve", "exit")
        );
        assert_eq!(
            (x[231], x[257], x[435], x[469]),
            ("exit_group", "openat", "clone3", "file_setattr")
        );
        let a = &aarch64::NAMES;
        assert_eq!(
            (a[56], a[63], a[64], a[80], a[93], a[172]),
            ("openat", "read", "write", "newfstat", "exit", "getpid")
        );
        assert_eq!((a[42], a[435], a[469]), ("", "clone3", "file_setattr"));
        assert!(names().len() > 400);
    }

    #[test]
    fn identifiers() {
        assert!(plain_identifier("fd") && plain_identifier("_x1"));
        assert!(!plain_identifier("1x") && !plain_identifier("a-b") && !plain_identifier(""));
    }
}
