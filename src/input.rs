//! Reading input files within a size limit, whatever the path names.
//!
//! A size taken from file metadata says nothing about a pipe (`/dev/stdin`), a device
//! (`/dev/zero` never ends) or a file that grows while it is read, so every input is read
//! through a reader that stops at `limit + 1` bytes. Only regular files and pipes (FIFOs, as
//! `/dev/stdin` in a pipeline or a shell's `<(...)`) are read; folders, devices and sockets
//! are refused before a byte is read.

use std::io::Read;
use std::path::Path;

/// Why an input could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// A folder, a device or a socket: what it is.
    NotAFile(&'static str),
    /// More than the limit; the size when the file system knows it (a regular file).
    TooLarge { size: Option<u64>, limit: u64 },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read the file: {e}"),
            ReadError::NotAFile(what) => write!(f, "is {what}, not a file"),
            ReadError::TooLarge { size: Some(n), limit } => {
                write!(f, "the file is {n} bytes; the limit is {limit} bytes")
            }
            ReadError::TooLarge { size: None, limit } => {
                write!(f, "the input is larger than the limit of {limit} bytes")
            }
        }
    }
}

/// Reads at most `limit` bytes of `path`; more is an error, as is anything but a regular
/// file or a pipe.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let f = std::fs::File::open(path).map_err(|e| match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => ReadError::NotAFile("a folder"),
        _ => ReadError::Io(e),
    })?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    let kind = kind_of(&meta);
    if let Some(what) = kind {
        return Err(ReadError::NotAFile(what));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(ReadError::TooLarge { size: Some(meta.len()), limit });
    }
    let mut bytes = Vec::with_capacity(if meta.is_file() { meta.len() as usize } else { 8192 });
    f.take(limit + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        let size = meta.is_file().then_some(bytes.len() as u64);
        return Err(ReadError::TooLarge { size, limit });
    }
    Ok(bytes)
}

/// `None` for a regular file or a pipe, else what the path names.
fn kind_of(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return None;
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_before_reading() {
        assert!(matches!(read_limited(Path::new("/dev/zero"), 16), Err(ReadError::NotAFile("a device"))));
        assert!(matches!(read_limited(Path::new("/"), 16), Err(ReadError::NotAFile("a folder"))));
    }

    #[test]
    fn limit_is_exact() {
        let dir = std::env::temp_dir().join(format!("branchsim-input-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("f");
        let _ = std::fs::write(&p, [b'x'; 10]);
        assert!(read_limited(&p, 10).is_ok_and(|b| b.len() == 10));
        assert!(matches!(read_limited(&p, 9), Err(ReadError::TooLarge { size: Some(10), limit: 9 })));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
