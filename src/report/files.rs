//! Writing outputs safely.
//!
//! An output folder is written through a `Stage`: every file of a run goes into a staging
//! folder created inside the output folder with an unpredictable name (`.branchsim-stage-*`,
//! created exclusively, mode 0700, so nobody else can plant a link in it), and only when all
//! of them are written does `Stage::publish` move them into place by renames. A rename
//! replaces a link at the destination instead of following it. A run that fails or is
//! stopped before publishing leaves the earlier results untouched. Publishing holds signals
//! back (see `cli::signals`), so SIGINT/SIGTERM always give the earlier or the new results
//! for the whole set; a process killed during the publish (SIGKILL, power loss) leaves a
//! staging folder marked ready, which the next command into the folder publishes first.
//!
//! The output folder is locked (`flock` on the folder itself) for the whole run, so two runs
//! into the same folder cannot mix: the second one is refused with a message.
//!
//! Single files outside an output folder (`record --to`, `check --junit`, shards) are written
//! by `write_file`: a `tempfile` temporary (O_EXCL, random name) in the same folder, synced,
//! renamed over the target, the folder synced.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;

/// Name prefix of staging folders; only created under the folder's lock.
const STAGE_PREFIX: &str = ".branchsim-stage-";
/// Written last into a complete staging folder: its lines name what publishing removes.
const READY: &str = ".ready";
/// Prefix, inside a staging folder, of an earlier folder moved out of the way while publishing.
const OLD_PREFIX: &str = ".old-";

/// A locked output folder.
pub struct OutputDir {
    path: PathBuf,
    /// Holds the folder's lock until dropped.
    _lock: File,
}

/// What a caller must know about an output folder before simulating: refusals come back as
/// messages.
impl OutputDir {
    /// Creates the folder if needed, refuses a symbolic link, locks it and completes or removes
    /// staging folders left by a process that was killed.
    pub fn open(path: &Path) -> Result<OutputDir, String> {
        let shown = path.display();
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!("{shown} is a symbolic link: refusing to write results through it"));
            }
            Ok(m) if !m.is_dir() => return Err(format!("{shown} exists and is not a folder")),
            Ok(_) => {}
            Err(_) => {
                std::fs::create_dir_all(path).map_err(|e| format!("cannot create the output folder {shown}: {e}"))?
            }
        }
        let lock = open_dir(path).map_err(|e| format!("cannot open the output folder {shown}: {e}"))?;
        match try_lock(&lock) {
            Ok(true) => {}
            Ok(false) => {
                return Err(format!(
                    "another branchsim command is writing to {shown} right now: refusing to mix two runs in one \
                     folder; wait for it to finish, or write to another folder with --out"
                ));
            }
            Err(e) => return Err(format!("cannot lock the output folder {shown}: {e}")),
        }
        let d = OutputDir { path: path.to_path_buf(), _lock: lock };
        d.recover().map_err(|e| format!("cannot tidy the output folder {shown}: {e}"))?;
        Ok(d)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Staging folders of earlier processes: the lock proves they are dead. A complete one
    /// (marked ready) is published, the others are removed. Only names branchsim creates, on
    /// folders this user owns, are touched.
    fn recover(&self) -> io::Result<()> {
        let mut stale: Vec<PathBuf> = Vec::new();
        for e in std::fs::read_dir(&self.path)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(STAGE_PREFIX) && e.file_type().is_ok_and(|t| t.is_dir()) && owned(&e.path()) {
                stale.push(e.path());
            }
        }
        stale.sort();
        for s in stale {
            if s.join(READY).is_file() {
                publish_ready(&self.path, &s)?;
            } else {
                std::fs::remove_dir_all(&s)?;
            }
        }
        Ok(())
    }

    /// Checks, before anything runs, that the files and folders a run will publish can be
    /// replaced: `files` must not be folders, `dirs` must be real, writable folders (or absent)
    /// holding nothing that cannot be carried over (sub-folders).
    pub fn preflight(&self, files: &[&str], dirs: &[&str]) -> Result<(), String> {
        for f in files {
            let p = self.path.join(f);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                return Err(format!("{} is a folder: cannot replace it with a result file", p.display()));
            }
        }
        for d in dirs {
            let p = self.path.join(d);
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if m.file_type().is_symlink() || !m.is_dir() {
                return Err(format!("{} is not a folder (a link or a file): refusing to replace it", p.display()));
            }
            if !writable(&p) {
                return Err(format!("{} is not writable: its files cannot be replaced", p.display()));
            }
            for e in std::fs::read_dir(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    return Err(format!(
                        "{} holds a folder branchsim did not write; move it away first",
                        e.path().display()
                    ));
                }
            }
        }
        Ok(())
    }

    /// A new, empty staging folder inside the output folder.
    pub fn stage(&self) -> io::Result<Stage> {
        let dir = tempfile::Builder::new().prefix(STAGE_PREFIX).tempdir_in(&self.path)?;
        Ok(Stage {
            out: self.path.clone(),
            dir: Some(dir),
            remove: Mutex::new(Vec::new()),
            syncer: Mutex::new(None),
            parts: Default::default(),
        })
    }
}

/// The files of one run, written but not yet published. Dropping it discards them.
/// Shared by the threads that write a run's files side by side (`&self` everywhere).
pub struct Stage {
    out: PathBuf,
    dir: Option<tempfile::TempDir>,
    remove: Mutex<Vec<String>>,
    /// Started by the first file written; see `Syncer`.
    syncer: Mutex<Option<Syncer>>,
    /// Partial syncs handed to the syncer so far (`WriteBehind`).
    parts: AtomicU64,
}

/// Makes the staged files durable on a thread of its own. Waiting for the disk (`fsync`, tens
/// of milliseconds for the 50 MB replications.csv, a few for each chart) on the threads that
/// render a run's files left a core idle at the end of every run, when the workbook was
/// still being compressed on the other; the syncs now overlap with that work. `Stage::synced`
/// waits for them, and nothing is published before every file is synced.
struct Syncer {
    files: mpsc::Sender<Durable>,
    done: JoinHandle<io::Result<()>>,
}

/// What the syncer is handed.
enum Durable {
    /// A complete file: data and metadata (`sync_all`).
    Whole(File),
    /// A file still being written (another handle to it): what has been written so far
    /// (`sync_data`), so that its final sync has only the rest left; see `WriteBehind`. The
    /// flag is cleared once it is synced and the handle closed.
    Part(File, Arc<AtomicBool>),
}

impl Durable {
    fn sync(self) -> io::Result<()> {
        match self {
            Durable::Whole(f) => f.sync_all(),
            Durable::Part(f, in_flight) => {
                let synced = f.sync_data();
                drop(f);
                in_flight.store(false, Ordering::Release);
                synced
            }
        }
    }
}

impl Syncer {
    fn start() -> io::Result<Syncer> {
        let (files, rx) = mpsc::channel::<Durable>();
        let done = std::thread::Builder::new().name("branchsim-sync".into()).spawn(move || {
            // Every file is synced even after a failure, so that the first error is the one
            // reported and no file is left mid-sync when the stage is dropped.
            let mut first = Ok(());
            for f in rx {
                if let Err(e) = f.sync()
                    && first.is_ok()
                {
                    first = Err(e);
                }
            }
            first
        })?;
        Ok(Syncer { files, done })
    }
}

/// Bytes of a streamed file written between two partial syncs (`WriteBehind`).
const WRITE_BEHIND: u64 = 8 << 20;

/// A streamed file that hands what it has written to the syncer every `WRITE_BEHIND` bytes,
/// one part at a time: while a part is being synced no other is handed (each holds an open
/// handle, and a disk slower than the writer must not pile them up).
///
/// Why: replications.csv (51 MB at 1,000 replications of the main job) is the last file of a
/// run to be written, and its `fsync` made the kernel write all of it back only then: about
/// 20 ms with one core busy and the other idle, between the last byte written and the
/// publishing. Synced in parts while it is written, the disk's work overlaps with the
/// formatting of the rest, and the final sync finds at most the last part to write.
pub struct WriteBehind<'a> {
    file: File,
    stage: &'a Stage,
    /// Bytes written since the last partial sync.
    pending: u64,
    /// Set while a part of this file is with the syncer.
    in_flight: Arc<AtomicBool>,
}

impl Write for WriteBehind<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.pending += n as u64;
        if self.pending >= WRITE_BEHIND && !self.in_flight.load(Ordering::Acquire) {
            self.pending = 0;
            self.in_flight.store(true, Ordering::Release);
            self.stage.parts.fetch_add(1, Ordering::Relaxed);
            self.stage.hand(Durable::Part(self.file.try_clone()?, Arc::clone(&self.in_flight)))?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Stage {
    fn root(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new("."), |d| d.path())
    }

    /// Creates `rel` (`name` or `folder/name`) in the staging folder: exclusively, never
    /// through a link.
    fn create(&self, rel: &str) -> io::Result<File> {
        let p = self.root().join(rel);
        if let Some(parent) = p.parent()
            && parent != self.root()
            && !parent.is_dir()
        {
            // Another thread may be creating the same folder.
            match std::fs::create_dir(parent) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        std::fs::OpenOptions::new().write(true).create_new(true).open(&p)
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let mut f = self.create(rel)?;
        f.write_all(bytes)?;
        self.sync(f)
    }

    /// Hands a written file to the syncer.
    fn sync(&self, f: File) -> io::Result<()> {
        self.hand(Durable::Whole(f))
    }

    /// Hands `d` to the syncer (started on first use).
    fn hand(&self, d: Durable) -> io::Result<()> {
        let mut s = self.syncer.lock().unwrap_or_else(PoisonError::into_inner);
        if s.is_none() {
            *s = Some(Syncer::start()?);
        }
        match s.as_ref().map(|s| s.files.send(d)) {
            Some(Ok(())) => Ok(()),
            // The syncer is gone (it cannot stop on its own): sync here.
            Some(Err(mpsc::SendError(d))) => d.sync(),
            None => Ok(()),
        }
    }

    /// Waits until every file written so far is on disk; the first failure to sync one.
    /// Call it before reporting the files as written (`publish` calls it too).
    pub fn synced(&self) -> io::Result<()> {
        let s = self.syncer.lock().unwrap_or_else(PoisonError::into_inner).take();
        match s {
            None => Ok(()),
            Some(Syncer { files, done }) => {
                drop(files);
                done.join().unwrap_or_else(|_| Err(io::Error::other("the thread syncing the files failed")))
            }
        }
    }

    /// Like `write`, for content produced by a writer (streamed, never held in memory, and
    /// synced in parts while it is written: see `WriteBehind`).
    pub fn write_with(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut io::BufWriter<WriteBehind<'_>>) -> io::Result<()>,
    ) -> io::Result<()> {
        let file = WriteBehind { file: self.create(rel)?, stage: self, pending: 0, in_flight: Default::default() };
        let mut w = io::BufWriter::with_capacity(1 << 16, file);
        fill(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        self.sync(f.file)
    }

    /// Publishing removes `name` (a file, or a folder branchsim writes whole) from the output
    /// folder: a result of an earlier run that this run does not produce.
    pub fn remove(&self, name: &str) {
        self.remove.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(name.to_string());
    }

    /// Moves every staged file and folder into the output folder and removes what `remove`
    /// named. Call it with signals held back (`cli::signals::hold`).
    pub fn publish(mut self) -> io::Result<()> {
        self.synced()?;
        let Some(dir) = self.dir.take() else {
            return Ok(());
        };
        let root = dir.keep();
        let mut ready = File::create_new(root.join(READY))?;
        let removals = self.remove.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner).join("\n");
        ready.write_all(removals.as_bytes())?;
        ready.sync_all()?;
        sync_dir(&root);
        publish_ready(&self.out, &root)
    }
}

/// Publishes a complete staging folder `stage` into `out` (also after a crash: every step can
/// be repeated).
fn publish_ready(out: &Path, stage: &Path) -> io::Result<()> {
    let removals = std::fs::read_to_string(stage.join(READY))?;
    let mut entries: Vec<(String, bool)> = Vec::new();
    for e in std::fs::read_dir(stage)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == READY || name.starts_with(OLD_PREFIX) {
            continue;
        }
        entries.push((name, e.file_type()?.is_dir()));
    }
    // summary.json last: whoever sees the new summary sees every other new file.
    entries.sort_by_key(|(n, _)| (n == "summary.json", n.clone()));
    for (name, is_dir) in entries {
        let (new, target) = (stage.join(&name), out.join(&name));
        if is_dir {
            swap_dir(&new, &target, &stage.join(format!("{OLD_PREFIX}{name}")))?
        } else {
            std::fs::rename(&new, &target)?
        }
    }
    for name in removals.lines().filter(|l| !l.is_empty() && !l.contains(['/', '\\']) && *l != "..") {
        let target = out.join(name);
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.is_dir() => std::fs::rename(&target, stage.join(format!("{OLD_PREFIX}{name}")))?,
            Ok(_) => std::fs::remove_file(&target)?,
            Err(_) => {}
        }
    }
    sync_dir(out);
    std::fs::remove_dir_all(stage)
}

/// Puts the staged folder `new` in place of `target`, whose earlier content goes to `old`
/// (inside the staging folder, removed with it). Files of `target` that branchsim did not
/// write there (anything but `.png`/`.svg`, and in `events/` the event logs `.csv`, `.xes`,
/// `.jsonocel`) are carried over by hard links: logs of an earlier run, perhaps in another
/// format, would describe other results.
fn swap_dir(new: &Path, target: &Path, old: &Path) -> io::Result<()> {
    let Ok(m) = std::fs::symlink_metadata(target) else {
        return std::fs::rename(new, target);
    };
    if m.is_dir() {
        for e in std::fs::read_dir(target)?.flatten() {
            let name = e.file_name();
            let n = name.to_string_lossy();
            let log = target.file_name().is_some_and(|f| f == "events")
                && (n.ends_with(".csv") || n.ends_with(".xes") || n.ends_with(".jsonocel"));
            let ours = n.ends_with(".png") || n.ends_with(".svg") || log;
            if !ours && e.file_type().is_ok_and(|t| t.is_file()) && !new.join(&name).exists() {
                std::fs::hard_link(e.path(), new.join(&name))?;
            }
        }
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        // One atomic step: the folder is the earlier one or the new one, never missing.
        if renameat_with(CWD, new, CWD, target, RenameFlags::EXCHANGE).is_ok() {
            return std::fs::rename(new, old);
        }
    }
    std::fs::rename(target, old)?;
    std::fs::rename(new, target)
}

/// Writes one file atomically: a `tempfile` temporary in the same folder (created with
/// O_EXCL under a random name), synced and renamed over `path`. A link at `path` is replaced,
/// never followed.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_file_with(path, |w| w.write_all(bytes))
}

/// Checks, before a long computation, that `write_file(path, …)` can succeed afterwards: the
/// path is not a folder, and its folder exists and takes a new file (probed with a temporary
/// file, removed at once) or can be made inside an existing, writable folder. Nothing is left
/// behind. (`record --to`, `check --junit`: a run must not be lost at its end.)
pub fn check_writable_file(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!("{} is a folder, not a file", path.display()));
    }
    let mut dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // The nearest folder that exists: the file's own, or the one its folders will be made in.
    while !dir.exists() {
        match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => dir = p,
            _ => {
                dir = Path::new(".");
                break;
            }
        }
    }
    if !dir.is_dir() {
        return Err(format!("cannot write {}: {} is not a folder", path.display(), dir.display()));
    }
    tempfile::Builder::new()
        .prefix(".branchsim-probe.")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| format!("cannot write {}: {} does not take new files ({e})", path.display(), dir.display()))
}

/// Like `write_file`, for content produced by a writer.
pub fn write_file_with(
    path: &Path,
    fill: impl FnOnce(&mut io::BufWriter<&mut File>) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir)?;
    {
        let mut w = io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// Makes a rename durable (best effort: not every platform can sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Opens a folder for locking, without following a link.
#[cfg(unix)]
fn open_dir(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::DIRECTORY;
    std::fs::OpenOptions::new().read(true).custom_flags(flags.bits() as i32).open(path)
}

/// Takes the folder's exclusive lock without waiting: `Ok(false)` when another process holds
/// it. (`flock`: released by the kernel when the process ends, however it ends.)
#[cfg(unix)]
fn try_lock(f: &File) -> io::Result<bool> {
    match rustix::fs::flock(f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn try_lock(_: &File) -> io::Result<bool> {
    Ok(true)
}

#[cfg(not(unix))]
fn open_dir(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path.join(".branchsim.lock"))
}

#[cfg(unix)]
fn owned(p: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p).is_ok_and(|m| m.uid() == rustix::process::geteuid().as_raw())
}

#[cfg(not(unix))]
fn owned(_: &Path) -> bool {
    true
}

#[cfg(unix)]
fn writable(p: &Path) -> bool {
    rustix::fs::access(p, rustix::fs::Access::WRITE_OK).is_ok()
}

#[cfg(not(unix))]
fn writable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| !m.permissions().readonly())
}

/// Bytes free for this user on the file system holding `path`, where it can be told.
#[cfg(unix)]
pub fn available_bytes(path: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
pub fn available_bytes(_: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("branchsim-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// A process killed after its stage was complete but before every rename was done: the
    /// next command into the folder finishes the publish (roll forward), so the folder ends
    /// up the new run whole, with the removals done too.
    #[test]
    fn a_ready_stage_left_by_a_killed_process_is_published_by_the_next_one() {
        let dir = scratch("roll-forward");
        std::fs::create_dir_all(dir.join("charts")).unwrap();
        for (name, text) in [("summary.json", "old"), ("compare.csv", "old"), ("charts/a.svg", "old")] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        {
            let out = OutputDir::open(&dir).unwrap();
            let mut stage = out.stage().unwrap();
            stage.write("summary.json", b"new").unwrap();
            stage.write("charts/b.svg", b"new").unwrap();
            stage.remove("compare.csv");
            // What `publish` does before its first rename; then the process "dies".
            let root = stage.dir.take().unwrap().keep();
            std::fs::write(root.join(READY), "compare.csv").unwrap();
        }
        assert_eq!(std::fs::read_to_string(dir.join("summary.json")).unwrap(), "old");
        let _again = OutputDir::open(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("summary.json")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(dir.join("charts/b.svg")).unwrap(), "new");
        assert!(!dir.join("charts/a.svg").exists() && !dir.join("compare.csv").exists());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 2, "{left:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A stage that was not complete is discarded: the earlier results stay.
    #[test]
    fn an_incomplete_stage_is_discarded() {
        let dir = scratch("discard");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("summary.json"), "old").unwrap();
        {
            let out = OutputDir::open(&dir).unwrap();
            let mut stage = out.stage().unwrap();
            stage.write("summary.json", b"new").unwrap();
            let _ = stage.dir.take().unwrap().keep();
        }
        let _again = OutputDir::open(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("summary.json")).unwrap(), "old");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Files written from many threads at once (the output stage does so) are all synced and
    /// published with their content; `synced` can be called between writes, and more files
    /// written after it are synced too.
    #[test]
    fn files_written_from_many_threads_are_all_published() {
        let dir = scratch("threads");
        let out = OutputDir::open(&dir).unwrap();
        let stage = out.stage().unwrap();
        stage.write("first.txt", b"first").unwrap();
        stage.synced().unwrap();
        std::thread::scope(|s| {
            for t in 0..4 {
                let stage = &stage;
                s.spawn(move || {
                    for i in 0..25 {
                        let name = format!("charts/{t}-{i}.txt");
                        stage.write(&name, name.as_bytes()).unwrap();
                    }
                    stage.write_with(&format!("big-{t}.txt"), |w| w.write_all(&vec![b'x'; 200_000])).unwrap();
                });
            }
        });
        stage.synced().unwrap();
        stage.publish().unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("first.txt")).unwrap(), "first");
        for t in 0..4 {
            for i in 0..25 {
                let name = format!("charts/{t}-{i}.txt");
                assert_eq!(std::fs::read_to_string(dir.join(&name)).unwrap(), name);
            }
            assert_eq!(std::fs::read(dir.join(format!("big-{t}.txt"))).unwrap().len(), 200_000);
        }
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 6, "{left:?}");
        drop(out);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A streamed file longer than `WRITE_BEHIND` is synced in parts while it is written (one
    /// at a time, so at most one per `WRITE_BEHIND` bytes), and published whole, byte for byte,
    /// whatever the sizes of the writes.
    #[test]
    fn a_long_streamed_file_is_synced_in_parts_and_published_whole() {
        let dir = scratch("write-behind");
        let out = OutputDir::open(&dir).unwrap();
        let stage = out.stage().unwrap();
        let len = 5 * WRITE_BEHIND as usize + 12_345;
        let content: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        stage
            .write_with("long.csv", |w| {
                // Small writes (buffered) and writes longer than the buffer (passed through).
                let (small, rest) = content.split_at(1_000_003);
                small.chunks(777).try_for_each(|c| w.write_all(c))?;
                rest.chunks(3 << 20).try_for_each(|c| w.write_all(c))
            })
            .unwrap();
        let parts = stage.parts.load(Ordering::Relaxed);
        assert!((1..=5).contains(&parts), "{parts} partial syncs for 5 × 8 MB");
        stage.publish().unwrap();
        assert!(std::fs::read(dir.join("long.csv")).unwrap() == content, "the published file differs");
        drop(out);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The lock is per folder and per open: a second open while the first is held is refused.
    #[test]
    fn a_locked_folder_is_refused() {
        let dir = scratch("lock");
        let first = OutputDir::open(&dir).unwrap();
        assert!(OutputDir::open(&dir).is_err_and(|e| e.contains("another branchsim command")));
        drop(first);
        assert!(OutputDir::open(&dir).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
