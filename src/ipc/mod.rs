//! Control traffic between instrumented programs, the daemon and the `ust`
//! command: the message format (`proto`), the Unix-socket transport with
//! descriptor passing and peer credentials (`wire`), and where sockets live
//! (`paths`).

pub mod paths;
pub mod proto;
pub mod wire;
