//! MySQL messages as spans need them, and the payloads of the connection
//! phase: the server's greeting, the client's handshake response, and the
//! OK, EOF and ERR packets that end answers.

use std::sync::Arc;

use super::packet::{cap, cstr, lenenc, u16_at, u32_at};

/// Statement text kept per request, in bytes; the capture rarely gives more.
pub const MAX_TEXT: usize = 4096;

/// A command byte: the first byte of a client packet of sequence id 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Command(pub u8);

impl Command {
    pub const QUIT: Command = Command(0x01);
    pub const INIT_DB: Command = Command(0x02);
    pub const QUERY: Command = Command(0x03);
    pub const FIELD_LIST: Command = Command(0x04);
    pub const STATISTICS: Command = Command(0x09);
    pub const PING: Command = Command(0x0E);
    pub const CHANGE_USER: Command = Command(0x11);
    pub const STMT_PREPARE: Command = Command(0x16);
    pub const STMT_EXECUTE: Command = Command(0x17);
    pub const STMT_SEND_LONG_DATA: Command = Command(0x18);
    pub const STMT_CLOSE: Command = Command(0x19);
    pub const STMT_RESET: Command = Command(0x1A);
    pub const STMT_FETCH: Command = Command(0x1C);
    pub const RESET_CONNECTION: Command = Command(0x1F);
    /// MariaDB's array binding.
    pub const STMT_BULK_EXECUTE: Command = Command(0xFA);

    /// Its name in the protocol's documentation (`COM_PING`), `None` for a
    /// byte that is no command.
    pub fn name(self) -> Option<&'static str> {
        const NAMES: [&str; 32] = [
            "COM_SLEEP",
            "COM_QUIT",
            "COM_INIT_DB",
            "COM_QUERY",
            "COM_FIELD_LIST",
            "COM_CREATE_DB",
            "COM_DROP_DB",
            "COM_REFRESH",
            "COM_SHUTDOWN",
            "COM_STATISTICS",
            "COM_PROCESS_INFO",
            "COM_CONNECT",
            "COM_PROCESS_KILL",
            "COM_DEBUG",
            "COM_PING",
            "COM_TIME",
            "COM_DELAYED_INSERT",
            "COM_CHANGE_USER",
            "COM_BINLOG_DUMP",
            "COM_TABLE_DUMP",
            "COM_CONNECT_OUT",
            "COM_REGISTER_SLAVE",
            "COM_STMT_PREPARE",
            "COM_STMT_EXECUTE",
            "COM_STMT_SEND_LONG_DATA",
            "COM_STMT_CLOSE",
            "COM_STMT_RESET",
            "COM_SET_OPTION",
            "COM_STMT_FETCH",
            "COM_DAEMON",
            "COM_BINLOG_DUMP_GTID",
            "COM_RESET_CONNECTION",
        ];
        match self.0 {
            0xFA => Some("COM_STMT_BULK_EXECUTE"),
            b => NAMES.get(usize::from(b)).copied(),
        }
    }

    /// Whether the server answers it: COM_QUIT, COM_STMT_CLOSE and
    /// COM_STMT_SEND_LONG_DATA get no answer.
    pub fn answered(self) -> bool {
        !matches!(
            self,
            Command::QUIT | Command::STMT_CLOSE | Command::STMT_SEND_LONG_DATA
        )
    }

    /// Whether its argument is statement text.
    pub fn carries_sql(self) -> bool {
        matches!(self, Command::QUERY | Command::STMT_PREPARE)
    }

    /// Whether it runs a prepared statement.
    pub fn executes(self) -> bool {
        matches!(self, Command::STMT_EXECUTE | Command::STMT_BULK_EXECUTE)
    }
}

/// Which server the connection talks to, for `db.system.name`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum System {
    /// MySQL, or a server whose greeting was not seen.
    #[default]
    Mysql,
    /// A greeting whose version names MariaDB.
    Mariadb,
}

impl System {
    pub fn as_str(self) -> &'static str {
        match self {
            System::Mysql => "mysql",
            System::Mariadb => "mariadb",
        }
    }
}

/// One command the server answers (or COM_QUIT and the like, which it
/// does not and which make no request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub command: Command,
    /// The statement: the text of COM_QUERY and COM_STMT_PREPARE, the text
    /// a COM_STMT_EXECUTE's statement was prepared from (when the prepare
    /// was seen), at most [`MAX_TEXT`] bytes.
    pub text: Option<Arc<str>>,
    /// The schema of COM_INIT_DB, the table of COM_FIELD_LIST.
    pub argument: Option<Arc<str>>,
    /// The statement a COM_STMT_EXECUTE, RESET or FETCH names
    /// (`u32::MAX`: MariaDB's "the one prepared last").
    pub statement_id: Option<u32>,
    /// The connection's default database when the command was sent: from
    /// the handshake, the last COM_INIT_DB or `USE` that succeeded.
    pub database: Option<Arc<str>>,
    pub system: System,
}

/// An ERR packet's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServerError {
    /// The server's error number (1146: the table does not exist).
    pub code: u16,
    /// The SQLSTATE after `#`, when the packet has one.
    pub state: Option<[u8; 5]>,
}

impl ServerError {
    pub fn state_str(&self) -> Option<&str> {
        self.state
            .as_ref()
            .and_then(|s| std::str::from_utf8(s).ok())
    }
}

/// The server's answer to one command, up to the packet that ends it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The first ERR packet.
    pub error: Option<ServerError>,
    /// OK packets and result sets: a text of several statements, or a
    /// procedure, gives several.
    pub results: u32,
    /// The statement COM_STMT_PREPARE's answer made.
    pub statement_id: Option<u32>,
    /// The server asked for a LOCAL INFILE.
    pub local_infile: bool,
    /// Whether the answer was read to its end in one piece (else it was
    /// followed packet by packet and what came after its first part is
    /// not in it).
    pub whole: bool,
}

/// What the server's greeting says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Greeting {
    pub system: System,
    /// Capability flags (the lower 32 bits), when the packet holds them.
    pub caps: Option<u32>,
}

/// A greeting's payload (protocol 10).
pub(crate) fn greeting(payload: &[u8]) -> Option<Greeting> {
    let (&10, rest) = payload.split_first()? else {
        return None;
    };
    let (version, after) = cstr(rest)?;
    let mariadb = memchr::memmem::find(version, b"MariaDB").is_some();
    // Connection id, 8 bytes of scramble and a filler, then the flags'
    // lower half; the upper half follows the charset and the status.
    let low = u16_at(after, 13);
    let high = u16_at(after, 18);
    Some(Greeting {
        system: if mariadb {
            System::Mariadb
        } else {
            System::Mysql
        },
        caps: low
            .zip(high)
            .map(|(l, h)| u32::from(l) | u32::from(h) << 16),
    })
}

/// What the client's handshake response (or SSL request) says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Login {
    pub caps: u32,
    /// The SSL request: TLS follows.
    pub ssl: bool,
    pub database: Option<Arc<str>>,
}

/// A handshake response's payload (protocol 4.1): capability flags with
/// CLIENT_PROTOCOL_41, the maximum packet size, the charset and 23 filler
/// bytes (MariaDB puts its own flags in the last 4), then the user, the
/// authentication data and, with CLIENT_CONNECT_WITH_DB, the database. `len`
/// is the payload's length on the wire (`payload` may be its captured prefix).
pub(crate) fn login(payload: &[u8], len: usize) -> Option<Login> {
    let caps = u32_at(payload, 0)?;
    let filler = payload.get(9..28)?;
    if caps & cap::PROTOCOL_41 == 0 || filler.iter().any(|&b| b != 0) {
        return None;
    }
    if len == 32 {
        return Some(Login {
            caps,
            ssl: caps & cap::SSL != 0,
            database: None,
        });
    }
    let database = (caps & cap::CONNECT_WITH_DB != 0)
        .then(|| login_database(payload.get(32..)?, caps))
        .flatten();
    Some(Login {
        caps,
        ssl: false,
        database,
    })
}

/// The database after the user name and authentication data.
fn login_database(b: &[u8], caps: u32) -> Option<Arc<str>> {
    let (_user, rest) = cstr(b)?;
    let rest = if caps & cap::PLUGIN_AUTH_LENENC_DATA != 0 {
        let (n, used) = lenenc(rest)?;
        rest.get(used.checked_add(usize::try_from(n).ok()?)?..)?
    } else if caps & cap::SECURE_CONNECTION != 0 {
        let (&n, rest) = rest.split_first()?;
        rest.get(usize::from(n)..)?
    } else {
        cstr(rest)?.1
    };
    let (db, _) = cstr(rest)?;
    (!db.is_empty()).then(|| text(db))
}

/// The status flags of an OK packet (`00` or, ending rows, `FE`): affected
/// rows and last insert id as length-encoded integers, then the status.
pub(crate) fn ok_status(payload: &[u8]) -> Option<u16> {
    let rest = payload.get(1..)?;
    let (_, a) = lenenc(rest)?;
    let (_, b) = lenenc(rest.get(a..)?)?;
    u16_at(rest, a + b)
}

/// The status flags of a packet that ends rows: a classic EOF (`FE`, the
/// warning count, the status: 5 bytes) or, with CLIENT_DEPRECATE_EOF, an OK
/// packet with the `FE` header (at least 7 bytes). `len` is the payload's
/// length on the wire.
pub(crate) fn end_status(payload: &[u8], len: usize) -> Option<u16> {
    if len <= 5 {
        u16_at(payload, 3)
    } else {
        ok_status(payload)
    }
}

/// An ERR packet's error: `FF`, the code, then `#` and the SQLSTATE when
/// the connection speaks protocol 4.1.
pub(crate) fn server_error(payload: &[u8]) -> Option<ServerError> {
    let code = u16_at(payload, 1)?;
    let state = match payload.get(3..9) {
        Some([b'#', s @ ..]) => <[u8; 5]>::try_from(s)
            .ok()
            .filter(|s| s.iter().all(u8::is_ascii_alphanumeric)),
        _ => None,
    };
    Some(ServerError { code, state })
}

/// MariaDB's progress reports travel as ERR packets with code 0xFFFF; they
/// end nothing.
pub(crate) const PROGRESS: u16 = 0xFFFF;

/// `b` as text, cut to [`MAX_TEXT`] bytes at a character boundary.
pub(crate) fn text(b: &[u8]) -> Arc<str> {
    let b = &b[..b.len().min(MAX_TEXT)];
    match std::str::from_utf8(b) {
        Ok(s) => Arc::from(s),
        // Cut inside a character by the limit or the capture.
        Err(e) if e.error_len().is_none() => {
            Arc::from(std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or(""))
        }
        Err(_) => Arc::from(String::from_utf8_lossy(b).as_ref()),
    }
}
