//! A data connection of `ust relay`: packets behind their data header, each received whole
//! before it is written (so a connection lost mid-packet leaves only complete packets), and
//! only into streams created by a control connection with the same identity.

use super::conn::Conn;
use super::store::{self, Streams};
use crate::relayd::proto::{DataHeader, DATA_HEADER_LEN};

/// Largest packet (content plus padding) accepted.
const MAX_PACKET: u64 = 64 << 20;

/// Serves one data connection until it closes. Err says why it was dropped.
pub fn serve(conn: &mut Conn, streams: &Streams) -> Result<(), String> {
    let mut packet = Vec::new();
    loop {
        let mut header = [0u8; DATA_HEADER_LEN];
        match conn.read_message(&mut header) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        }
        let h = DataHeader::decode(&header);
        if u64::from(h.size) + u64::from(h.padding) > MAX_PACKET {
            return Err(format!(
                "packet of {} + {} bytes: more than {MAX_PACKET}",
                h.size, h.padding
            ));
        }
        let Some(stream) = streams.get(h.handle) else {
            return Err(format!("packet for unknown stream {}", h.handle));
        };
        if store::lock(&stream).owner != conn.identity {
            return Err(format!("stream {} belongs to another client", h.handle));
        }
        packet.clear();
        conn.read_body(h.size as usize, &mut packet)
            .map_err(|e| e.to_string())?;
        let mut out = store::lock(&stream);
        if out.metadata {
            return Err(format!("data packet for metadata stream {}", h.handle));
        }
        out.write_packet(h.net_seq, &mut packet, h.padding)
            .map_err(|e| e.to_string())?;
        drop(out);
        streams.wrote();
    }
}
