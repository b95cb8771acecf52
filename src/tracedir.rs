//! A trace directory, opened once and checked, and every file UST writes in
//! it: the one place the runtime (and the daemon, through it) touches the
//! file system for traces.
//!
//! The directory may sit where other users can write (`/tmp/t`), and the
//! writer may be root. So the directory is opened with `O_NOFOLLOW` and
//! refused unless it belongs to the writing user and is writable by nobody
//! else (or is sticky); every file is created with `openat` relative to that
//! descriptor, `O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600 whatever the
//! umask, after removing the entry a previous trace left (`unlinkat`
//! removes a symbolic link, never what it points to); the metadata is
//! replaced with `renameat`. A new directory is made 0700.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// An open, checked trace directory.
pub struct TraceDir {
    fd: OwnedFd,
    path: PathBuf,
}

fn cstr(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))
}

/// A name for an entry of a directory: one component, not `.` or `..`.
fn entry_name(name: &str) -> io::Result<CString> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a file name"),
        ));
    }
    cstr(OsStr::new(name))
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn refused(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, msg)
}

impl TraceDir {
    /// Opens `path` as the trace directory of user `uid`, creating it (mode
    /// 0700, and its missing parents) if needed. Refuses a symbolic link, a
    /// directory of another user, and one others may write to without the
    /// sticky bit.
    pub fn open(path: &Path, uid: u32) -> io::Result<TraceDir> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let c = cstr(path.as_os_str())?;
        // SAFETY: `c` is a valid NUL-terminated path.
        match check(unsafe { libc::mkdir(c.as_ptr(), 0o700) }) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        // SAFETY: as above; the result is checked and owned below.
        let raw = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        let raw = check(raw).map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::ENOTDIR) => refused(format!(
                "{} is not a directory (a symbolic link? give the directory itself)",
                path.display()
            )),
            _ => e,
        })?;
        // SAFETY: a descriptor open() just returned, owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let dir = TraceDir {
            fd,
            path: path.to_path_buf(),
        };
        dir.check_owner(uid)?;
        Ok(dir)
    }

    fn check_owner(&self, uid: u32) -> io::Result<()> {
        let st = self.stat()?;
        if st.st_uid != uid {
            return Err(refused(format!(
                "{} belongs to another user (uid {})",
                self.path.display(),
                st.st_uid
            )));
        }
        if st.st_mode & 0o022 != 0 && st.st_mode & 0o1000 == 0 {
            return Err(refused(format!(
                "{} is writable by other users and not sticky",
                self.path.display()
            )));
        }
        Ok(())
    }

    fn stat(&self) -> io::Result<libc::stat> {
        // SAFETY: fstat fills a plain struct for a descriptor we own.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            check(libc::fstat(self.fd.as_raw_fd(), &mut st))?;
            Ok(st)
        }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates `name` afresh (mode 0600), replacing an entry a previous
    /// trace left: never follows a symbolic link, never truncates a file.
    pub fn create(&self, name: &str) -> io::Result<File> {
        let c = cstr(OsStr::new(name))?;
        match self.remove(name) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: openat relative to our directory with a valid name.
        let raw = check(unsafe { libc::openat(self.fd.as_raw_fd(), c.as_ptr(), flags, 0o600) })?;
        // SAFETY: a descriptor openat() just returned, owned by nobody else.
        let file = unsafe { File::from_raw_fd(raw) };
        // The umask may have taken bits away, never added: make it exactly 0600.
        // SAFETY: fchmod on a descriptor we own.
        check(unsafe { libc::fchmod(file.as_raw_fd(), 0o600) })?;
        Ok(file)
    }

    /// Opens (creating it 0600 if needed) a lock file `name` that must be a
    /// regular file of user `uid`. A symbolic link there (never a lock) is
    /// removed and replaced.
    pub fn lock_file(&self, name: &str, uid: u32) -> io::Result<File> {
        let c = cstr(OsStr::new(name))?;
        let flags = libc::O_RDWR | libc::O_CREAT | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let open = || {
            // SAFETY: openat relative to our directory with a valid name.
            check(unsafe { libc::openat(self.fd.as_raw_fd(), c.as_ptr(), flags, 0o600) })
        };
        let raw = match open() {
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                self.remove(name)?;
                open()?
            }
            other => other?,
        };
        // SAFETY: a descriptor openat() just returned, owned by nobody else.
        let file = unsafe { File::from_raw_fd(raw) };
        let meta = file.metadata()?;
        use std::os::unix::fs::MetadataExt;
        if !meta.is_file() || meta.uid() != uid {
            return Err(refused(format!(
                "{}/{name} is not a file of yours",
                self.path.display()
            )));
        }
        Ok(file)
    }

    /// Removes entry `name` (a symbolic link itself, not its target).
    pub fn remove(&self, name: &str) -> io::Result<()> {
        let c = cstr(OsStr::new(name))?;
        // SAFETY: unlinkat relative to our directory with a valid name.
        check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) }).map(drop)
    }

    /// Renames `from` to `to` inside the directory, replacing `to`.
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (f, t) = (cstr(OsStr::new(from))?, cstr(OsStr::new(to))?);
        let dir = self.fd.as_raw_fd();
        // SAFETY: renameat within our directory with valid names.
        check(unsafe { libc::renameat(dir, f.as_ptr(), dir, t.as_ptr()) }).map(drop)
    }

    /// Opens subdirectory `name` of user `uid` (a chunk, a snapshot),
    /// creating it (mode 0700) if needed, refused as `open` refuses.
    pub fn subdir(&self, name: &str, uid: u32) -> io::Result<TraceDir> {
        let c = entry_name(name)?;
        let at = self.fd.as_raw_fd();
        // SAFETY: mkdirat relative to our directory with a valid name.
        match check(unsafe { libc::mkdirat(at, c.as_ptr(), 0o700) }) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: openat relative to our directory with a valid name.
        let raw = check(unsafe { libc::openat(at, c.as_ptr(), flags) }).map_err(|e| {
            match e.raw_os_error() {
                Some(libc::ELOOP) | Some(libc::ENOTDIR) => {
                    refused(format!("{}/{name} is not a directory", self.path.display()))
                }
                _ => e,
            }
        })?;
        // SAFETY: a descriptor openat() just returned, owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let dir = TraceDir {
            fd,
            path: self.path.join(name),
        };
        dir.check_owner(uid)?;
        Ok(dir)
    }

    /// Moves entry `name` (a file or a directory) into `to` as `to_name`;
    /// fails rather than replace an entry there.
    pub fn move_to(&self, name: &str, to: &TraceDir, to_name: &str) -> io::Result<()> {
        let (f, t) = (entry_name(name)?, entry_name(to_name)?);
        // SAFETY: renameat2 between our directories with valid names.
        let ret = unsafe {
            libc::renameat2(
                self.fd.as_raw_fd(),
                f.as_ptr(),
                to.fd.as_raw_fd(),
                t.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        check(ret).map(drop)
    }

    /// Removes subdirectory `name` and the files in it (a snapshot that
    /// could not be completed); never follows a link.
    pub fn remove_dir(&self, name: &str, uid: u32) -> io::Result<()> {
        let sub = self.subdir(name, uid)?;
        for entry in sub.entries()? {
            sub.remove(&entry)?;
        }
        let c = entry_name(name)?;
        // SAFETY: unlinkat relative to our directory with a valid name.
        check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) })
            .map(drop)
    }

    /// Whether entry `name` exists (without following it).
    pub fn contains(&self, name: &str) -> bool {
        let Ok(c) = cstr(OsStr::new(name)) else {
            return false;
        };
        // SAFETY: fstatat into a plain struct, relative to our directory.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            libc::fstatat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            ) == 0
        }
    }

    /// The names of the directory's entries.
    pub fn entries(&self) -> io::Result<Vec<String>> {
        // Read through /proc/self/fd so the listing is of this very directory.
        let listing = std::fs::read_dir(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))?;
        Ok(listing
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect())
    }

    /// Replaces `name` atomically with `contents` (written to a temporary
    /// file first, synced, then renamed over it).
    pub fn replace(&self, name: &str, contents: &[u8]) -> io::Result<()> {
        use std::io::Write;
        let tmp = format!(".{name}.tmp");
        let mut f = self.create(&tmp)?;
        f.write_all(contents)?;
        f.sync_data()?;
        self.rename(&tmp, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ust-tracedir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn me() -> u32 {
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() }
    }

    #[test]
    fn creates_private_files_and_never_follows_links() {
        let d = scratch("links");
        let dir = TraceDir::open(&d, me()).unwrap();
        assert_eq!(
            std::fs::metadata(&d).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let victim = d.with_extension("victim");
        std::fs::write(&victim, "precious").unwrap();
        symlink(&victim, d.join("channel0_0")).unwrap();
        use std::io::Write;
        dir.create("channel0_0")
            .unwrap()
            .write_all(b"trace")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let meta = std::fs::symlink_metadata(d.join("channel0_0")).unwrap();
        assert!(meta.is_file() && meta.permissions().mode() & 0o777 == 0o600);
        symlink(&victim, d.join(".metadata.tmp")).unwrap();
        dir.replace("metadata", b"/* CTF 1.8 */").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        symlink(&victim, d.join(".ust-lock")).unwrap();
        dir.lock_file(".ust-lock", me()).unwrap();
        assert!(std::fs::symlink_metadata(d.join(".ust-lock"))
            .unwrap()
            .is_file());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        std::fs::remove_dir_all(&d).unwrap();
        std::fs::remove_file(&victim).unwrap();
    }

    #[test]
    fn subdirectories_are_checked_and_moved_without_replacing() {
        let d = scratch("subdir");
        let dir = TraceDir::open(&d, me()).unwrap();
        let a = dir.subdir("a", me()).unwrap();
        a.create("f").unwrap();
        assert_eq!(a.path(), d.join("a"));
        let b = dir.subdir("b", me()).unwrap();
        a.move_to("f", &b, "g").unwrap();
        assert!(b.contains("g") && !a.contains("f"));
        dir.subdir("c", me()).unwrap();
        let err = dir.move_to("a", &dir, "c").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(dir.subdir("../x", me()).is_err() && dir.subdir("..", me()).is_err());
        symlink(&d, d.join("link")).unwrap();
        assert!(dir.subdir("link", me()).is_err(), "a link is refused");
        dir.remove_dir("b", me()).unwrap();
        assert!(!d.join("b").exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn refuses_links_and_directories_open_to_others() {
        let d = scratch("open");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = TraceDir::open(&d, me()).err().unwrap();
        assert!(err.to_string().contains("writable by other users"), "{err}");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(TraceDir::open(&d, me()).is_ok(), "sticky is fine");
        let err = TraceDir::open(&d, me() + 1).err().unwrap();
        assert!(err.to_string().contains("belongs to another user"), "{err}");
        let link = d.with_extension("link");
        symlink(&d, &link).unwrap();
        let err = TraceDir::open(&link, me()).err().unwrap();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        std::fs::remove_file(&link).unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }
}
