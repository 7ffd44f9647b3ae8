//! Where the embedding model and ONNX Runtime live on disk, and whether they are usable.
//!
//! The core never looks up OS directories: the shell passes candidate directories, in priority order
//! (see [`default_candidates`]): `$SUPERVISOR_ASSIST_ASSETS`, the per-user cache dir
//! (`~/.cache/supervisor-assist`), then the executable's directory; the app appends the system directory the .deb
//! installs into (`/usr/lib/supervisor-assist`).
//!
//! Layout inside each candidate (written by `scripts/fetch-assets.py`):
//! ```text
//! all-MiniLM-L6-v2/{model.onnx,tokenizer.json,config.json,special_tokens_map.json,tokenizer_config.json}
//! onnxruntime/libonnxruntime.so
//! ```
//! [`locate_assets`] picks the first directory holding every file, then checks that the files are not
//! corrupt (sizes, JSON parses, sha256 of `model.onnx`). Errors list the directories searched and the fix.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// Environment variable naming an assets directory that overrides every other candidate.
pub const ASSETS_ENV_VAR: &str = "SUPERVISOR_ASSIST_ASSETS";
/// Sub-directory of the per-user cache directory that holds the assets.
pub const CACHE_SUBDIR: &str = "supervisor-assist";
/// Directory (inside an assets dir) holding the MiniLM model and tokenizer files.
pub const MODEL_DIR: &str = "all-MiniLM-L6-v2";
/// Directory (inside an assets dir) holding the ONNX Runtime shared library.
pub const ORT_DIR: &str = "onnxruntime";
/// File name of the ONNX Runtime shared library.
pub const ORT_LIB_FILE: &str = "libonnxruntime.so";
/// sha256 of the int8 `model.onnx` that `scripts/fetch-assets.py` installs.
pub const MODEL_ONNX_SHA256: &str =
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6";
/// The fix printed with every asset error.
pub const FIX_HINT: &str =
    "run `python3 scripts/fetch-assets.py` (installs into ~/.cache/supervisor-assist), \
     or set SUPERVISOR_ASSIST_ASSETS to a directory laid out like its output \
     (installed from the .deb: `sudo apt-get install --reinstall supervisor-assist`)";

/// Smallest plausible `model.onnx` (the int8 model is ~22 MB, fp32 ~90 MB).
const MIN_MODEL_BYTES: u64 = 1_000_000;
/// Smallest plausible ONNX Runtime library (1.24.4 is ~22 MB).
const MIN_ORT_LIB_BYTES: u64 = 1_000_000;

/// Absolute paths of every asset file inside one assets directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetPaths {
    /// The assets directory these paths were found in.
    pub root: PathBuf,
    /// `<root>/all-MiniLM-L6-v2`.
    pub model_dir: PathBuf,
    pub onnx_model: PathBuf,
    pub tokenizer_json: PathBuf,
    pub config_json: PathBuf,
    pub special_tokens_map_json: PathBuf,
    pub tokenizer_config_json: PathBuf,
    /// `<root>/onnxruntime/libonnxruntime.so`.
    pub ort_dylib: PathBuf,
}

impl AssetPaths {
    /// The expected paths inside `root` (nothing is checked).
    pub fn in_dir(root: &Path) -> Self {
        let model_dir = root.join(MODEL_DIR);
        Self {
            root: root.to_path_buf(),
            onnx_model: model_dir.join("model.onnx"),
            tokenizer_json: model_dir.join("tokenizer.json"),
            config_json: model_dir.join("config.json"),
            special_tokens_map_json: model_dir.join("special_tokens_map.json"),
            tokenizer_config_json: model_dir.join("tokenizer_config.json"),
            ort_dylib: root.join(ORT_DIR).join(ORT_LIB_FILE),
            model_dir,
        }
    }

    /// Every required file, in a stable order.
    pub fn files(&self) -> [&Path; 6] {
        [
            &self.onnx_model,
            &self.tokenizer_json,
            &self.config_json,
            &self.special_tokens_map_json,
            &self.tokenizer_config_json,
            &self.ort_dylib,
        ]
    }

    fn json_files(&self) -> [&Path; 4] {
        [
            &self.tokenizer_json,
            &self.config_json,
            &self.special_tokens_map_json,
            &self.tokenizer_config_json,
        ]
    }
}

/// What was missing in one searched directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchedDir {
    pub dir: PathBuf,
    /// Required files absent from `dir` (all of them when `dir` does not exist).
    pub missing: Vec<PathBuf>,
}

/// Why the assets cannot be used. Either way the caller shows the message (it names the fix) and
/// runs without suggestions until the user fixes the install.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetError {
    /// No candidate directory holds every file.
    #[error("embedding model / ONNX Runtime not found; searched: {}. Fix: {FIX_HINT}", SearchList(.searched))]
    NotFound { searched: Vec<SearchedDir> },
    /// A file is present but unusable (wrong size, unparseable, checksum mismatch, load failure).
    #[error("corrupt asset {}: {reason}. Fix: {FIX_HINT}", .path.display())]
    Corrupt { path: PathBuf, reason: String },
}

struct SearchList<'a>(&'a [SearchedDir]);

impl fmt::Display for SearchList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no directories (none were configured)");
        }
        for (i, searched) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{} (missing:", searched.dir.display())?;
            for missing in &searched.missing {
                let shown = missing.strip_prefix(&searched.dir).unwrap_or(missing);
                write!(f, " {}", shown.display())?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Candidate directories in priority order, without duplicates: `env_override` (the value of
/// `$SUPERVISOR_ASSIST_ASSETS`), `user_cache_dir/supervisor-assist` (pass the OS per-user cache
/// directory, e.g. `~/.cache`), then `exe_dir` (the directory of the running executable).
pub fn default_candidates(
    env_override: Option<PathBuf>,
    user_cache_dir: Option<PathBuf>,
    exe_dir: Option<PathBuf>,
) -> Vec<PathBuf> {
    let env_override = env_override.filter(|p| !p.as_os_str().is_empty());
    let cache = user_cache_dir.map(|c| c.join(CACHE_SUBDIR));
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in [env_override, cache, exe_dir].into_iter().flatten() {
        if !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}

/// Finds the first candidate holding every asset file and checks it is not corrupt
/// (see [`verify_assets`]). A candidate with only some files is skipped (and reported if none is complete).
pub fn locate_assets(candidates: &[PathBuf]) -> Result<AssetPaths, AssetError> {
    let mut searched = Vec::with_capacity(candidates.len());
    for dir in candidates {
        let paths = AssetPaths::in_dir(dir);
        let missing: Vec<PathBuf> = paths
            .files()
            .iter()
            .filter(|f| !f.is_file())
            .map(|f| f.to_path_buf())
            .collect();
        if missing.is_empty() {
            tracing::info!(dir = %dir.display(), "embedding assets found");
            verify_assets(&paths)?;
            return Ok(paths);
        }
        tracing::debug!(dir = %dir.display(), missing = missing.len(), "assets dir incomplete");
        searched.push(SearchedDir {
            dir: dir.clone(),
            missing,
        });
    }
    Err(AssetError::NotFound { searched })
}

/// Checks that the files are plausible: library and model sizes, JSON files parse, and the sha256
/// of `model.onnx` matches the one `scripts/fetch-assets.py` installs (~25 ms for 23 MB, optimised build).
pub fn verify_assets(paths: &AssetPaths) -> Result<(), AssetError> {
    check_min_size(&paths.ort_dylib, MIN_ORT_LIB_BYTES)?;
    check_min_size(&paths.onnx_model, MIN_MODEL_BYTES)?;
    for json in paths.json_files() {
        let bytes = read(json)?;
        serde_json::from_slice::<serde_json::Value>(&bytes).map_err(|e| AssetError::Corrupt {
            path: json.to_path_buf(),
            reason: format!("not valid JSON ({e})"),
        })?;
    }
    let digest = sha256_file(&paths.onnx_model)?;
    if digest != MODEL_ONNX_SHA256 {
        return Err(AssetError::Corrupt {
            path: paths.onnx_model.clone(),
            reason: format!("sha256 is {digest}, expected {MODEL_ONNX_SHA256}"),
        });
    }
    Ok(())
}

/// Reads a file, turning an I/O failure into [`AssetError::Corrupt`] naming the file.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, AssetError> {
    fs::read(path).map_err(|e| AssetError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("cannot read ({e})"),
    })
}

fn check_min_size(path: &Path, min_bytes: u64) -> Result<(), AssetError> {
    let len = fs::metadata(path)
        .map_err(|e| AssetError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("cannot stat ({e})"),
        })?
        .len();
    if len < min_bytes {
        return Err(AssetError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("only {len} bytes, expected at least {min_bytes}"),
        });
    }
    Ok(())
}

fn sha256_file(path: &Path) -> Result<String, AssetError> {
    crate::digest::file_sha256(path).map_err(|e| AssetError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("cannot read ({e})"),
    })
}
