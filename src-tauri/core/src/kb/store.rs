//! Durable knowledge base: articles, their vectors and metadata in sled.
//!
//! Trees: `articles` (id → JSON [`StoredArticle`]), `vectors` (id → little-endian f32 bytes), `meta` (model name, dimension,
//! schema version, sync markers). An article and its vector are always written in the same sled transaction, so a reader
//! never sees one without the other. The model stamp is checked on open: vectors made by another model or dimension are
//! never mixed with new ones; [`KbStore::rebuild`] re-embeds every stored article instead of asking the user to delete files.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::domain::{Article, ArticleId};
use crate::nlp::{EmbedError, Embedder};

/// Bumped when the on-disk layout changes.
pub const SCHEMA_VERSION: u32 = 1;
/// Articles embedded and written per transaction.
const CHUNK: usize = 64;

const META_MODEL: &str = "model";
const META_DIM: &str = "dim";
const META_SCHEMA: &str = "schema_version";
const META_LAST_SYNC: &str = "last_sync";
const META_LAST_MODIFIED: &str = "last_modified";

/// Which model made the stored vectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelStamp {
    pub model: String,
    pub dim: usize,
}

impl std::fmt::Display for ModelStamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} dims)", self.model, self.dim)
    }
}

/// Whether the stored vectors can be used with the embedder the store was opened for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreState {
    /// Vectors match the expected model (or the store is empty and new).
    Ready,
    /// Vectors were made by another model or dimension: call [`KbStore::rebuild`].
    NeedsRebuild {
        recorded: ModelStamp,
        expected: ModelStamp,
    },
}

/// What the caller decides on: retry later (storage), fix assets (embedding), rebuild (stale vectors), or report corruption.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled could not read or write (disk full, permissions, I/O). Nothing of the failed chunk is visible.
    #[error("KB store I/O failed (disk full or unwritable?): {0}")]
    Storage(#[from] sled::Error),
    /// The stored vectors were made by another model; rebuild before use.
    #[error("KB vectors were made by {recorded}, expected {expected}: rebuild needed")]
    NeedsRebuild {
        recorded: ModelStamp,
        expected: ModelStamp,
    },
    /// The embedder passed in is not the one the store was opened for.
    #[error("embedder is {actual}, but the store was opened for {expected}")]
    WrongEmbedder {
        actual: ModelStamp,
        expected: ModelStamp,
    },
    /// Embedding a batch failed; nothing of that batch was written.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// A stored record cannot be decoded.
    #[error("KB store record {key:?} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
}

/// An article as stored, with the hash of the text its vector was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredArticle {
    pub article: Article,
    pub content_hash: u64,
}

/// Upserts and deletions computed from a full listing by [`KbStore::diff_full_listing`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    pub upserts: Vec<Article>,
    pub deletions: Vec<ArticleId>,
}

/// What [`KbStore::apply`] changed: feed it to the snapshot handle (no re-embedding needed there).
#[derive(Debug, Clone, Default)]
pub struct AppliedChanges {
    /// New or changed articles with their fresh vectors.
    pub upserted: Vec<(Article, Vec<f32>)>,
    /// Ids removed from the store.
    pub deleted: Vec<ArticleId>,
    /// Upserts whose text was unchanged (only metadata rewritten, no embedding).
    pub unchanged: usize,
}

/// Opens sled, waiting briefly while a just-dropped handle to the same directory still holds the file lock
/// (sled releases it from its flusher thread shortly after the last `Db` is dropped).
fn open_db(path: &Path) -> Result<sled::Db, sled::Error> {
    let mut attempts = 0;
    loop {
        match sled::open(path) {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock") && attempts < 40 =>
            {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Upserts (new, or [`content_hash`] changed) and deletions (stored ids absent) that turn `stored` into a complete `listing`.
pub fn diff_against(listing: Vec<Article>, stored: &HashMap<ArticleId, u64>) -> ChangeSet {
    let listed: HashSet<&str> = listing.iter().map(|a| a.id.as_str()).collect();
    let mut deletions: Vec<ArticleId> = stored
        .keys()
        .filter(|id| !listed.contains(id.as_str()))
        .cloned()
        .collect();
    deletions.sort();
    let upserts = listing
        .into_iter()
        .filter(|a| stored.get(&a.id) != Some(&content_hash(a)))
        .collect();
    ChangeSet { upserts, deletions }
}

/// Hash of the text that is embedded and indexed (FNV-1a 64, stable across builds and platforms).
pub fn content_hash(article: &Article) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in article
        .title
        .bytes()
        .chain([0u8])
        .chain(article.content.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The text given to the embedder for an article.
pub fn embedding_text(article: &Article) -> String {
    format!("{}\n{}", article.title, article.content)
}

/// The sled-backed store. Cheap to share by reference; sled handles concurrency.
pub struct KbStore {
    db: sled::Db,
    articles: sled::Tree,
    vectors: sled::Tree,
    meta: sled::Tree,
    expected: ModelStamp,
}

impl KbStore {
    /// Opens (or creates) the store at `path` for vectors of `model`/`dim`. A fresh store records the stamp at once.
    pub fn open(path: &Path, model: &str, dim: usize) -> Result<Self, StoreError> {
        let db = open_db(path)?;
        let store = Self {
            articles: db.open_tree("articles")?,
            vectors: db.open_tree("vectors")?,
            meta: db.open_tree("meta")?,
            db,
            expected: ModelStamp {
                model: model.to_string(),
                dim,
            },
        };
        if store.recorded_stamp()?.is_none() {
            store.write_stamp()?;
        }
        tracing::info!(path = %path.display(), articles = store.articles.len(), "KB store opened");
        Ok(store)
    }

    /// The stamp this store was opened for.
    pub fn expected_stamp(&self) -> &ModelStamp {
        &self.expected
    }

    /// Ready, or the rebuild the caller must run before loading vectors.
    pub fn state(&self) -> Result<StoreState, StoreError> {
        match self.recorded_stamp()? {
            Some(recorded) if recorded != self.expected => Ok(StoreState::NeedsRebuild {
                recorded,
                expected: self.expected.clone(),
            }),
            _ => Ok(StoreState::Ready),
        }
    }

    /// Number of stored articles.
    pub fn len(&self) -> usize {
        self.articles.len()
    }

    /// True when no article is stored.
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    /// Re-embeds every stored article with `embedder` (after a model or dimension change) and records the new stamp last,
    /// so an interrupted rebuild is detected and resumed on the next open.
    pub fn rebuild(
        &self,
        embedder: &dyn Embedder,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, StoreError> {
        self.check_embedder(embedder)?;
        let all = self.stored_articles()?;
        tracing::info!(articles = all.len(), model = %self.expected, "rebuilding KB vectors");
        self.vectors.clear()?;
        let articles: Vec<Article> = all.into_iter().map(|s| s.article).collect();
        let total = articles.len();
        progress(0, total);
        for (index, chunk) in articles.chunks(CHUNK).enumerate() {
            self.embed_and_write(chunk, embedder)?;
            progress((index * CHUNK + chunk.len()).min(total), total);
        }
        self.write_stamp()?;
        self.db.flush()?;
        Ok(total)
    }

    /// Applies upserts and deletions; re-embeds only new or changed articles (by content hash), in chunks of one
    /// transaction each, reporting `(done, total)` embedded articles.
    pub fn apply(
        &self,
        upserts: Vec<Article>,
        deletions: Vec<ArticleId>,
        embedder: &dyn Embedder,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<AppliedChanges, StoreError> {
        self.check_ready()?;
        self.check_embedder(embedder)?;
        let hashes = self.stored_hashes()?;
        let (changed, unchanged): (Vec<Article>, Vec<Article>) =
            upserts.into_iter().partition(|a| {
                hashes.get(&a.id) != Some(&content_hash(a))
                    || !self.vectors.contains_key(&a.id).unwrap_or(false)
            });
        self.rewrite_metadata(&unchanged)?;
        let total = changed.len();
        progress(0, total);
        let mut upserted = Vec::with_capacity(total);
        for chunk in changed.chunks(CHUNK) {
            upserted.extend(self.embed_and_write(chunk, embedder)?);
            progress(upserted.len(), total);
        }
        let deleted = self.delete(&deletions)?;
        self.db.flush()?;
        tracing::info!(
            embedded = total,
            unchanged = unchanged.len(),
            deleted = deleted.len(),
            "KB changes applied"
        );
        Ok(AppliedChanges {
            upserted,
            deleted,
            unchanged: unchanged.len(),
        })
    }

    /// Compares a complete listing from the KB source with the store: new or changed articles, and stored ids absent.
    pub fn diff_full_listing(&self, listing: Vec<Article>) -> Result<ChangeSet, StoreError> {
        Ok(diff_against(listing, &self.stored_hashes()?))
    }

    /// Every article with its vector, sorted by id. Refuses stale vectors.
    pub fn load_all(&self) -> Result<Vec<(Article, Vec<f32>)>, StoreError> {
        self.check_ready()?;
        let mut out = Vec::with_capacity(self.articles.len());
        for stored in self.stored_articles()? {
            let key = stored.article.id.clone();
            let bytes = self
                .vectors
                .get(&key)?
                .ok_or_else(|| corrupt(&key, "vector missing"))?;
            out.push((
                stored.article,
                decode_vector(&key, &bytes, self.expected.dim)?,
            ));
        }
        Ok(out)
    }

    /// One article with its vector, if stored.
    pub fn get(&self, id: &str) -> Result<Option<(Article, Vec<f32>)>, StoreError> {
        let (Some(article), Some(vector)) = (self.articles.get(id)?, self.vectors.get(id)?) else {
            return Ok(None);
        };
        let stored = decode_article(id, &article)?;
        Ok(Some((
            stored.article,
            decode_vector(id, &vector, self.expected.dim)?,
        )))
    }

    /// Content hash per stored id.
    pub fn stored_hashes(&self) -> Result<HashMap<ArticleId, u64>, StoreError> {
        Ok(self
            .stored_articles()?
            .into_iter()
            .map(|s| (s.article.id, s.content_hash))
            .collect())
    }

    /// Records when the last sync ran and the source's `Last-Modified` (for conditional requests).
    pub fn set_sync_markers(
        &self,
        last_sync: &str,
        last_modified: Option<&str>,
    ) -> Result<(), StoreError> {
        self.meta.insert(META_LAST_SYNC, last_sync.as_bytes())?;
        match last_modified {
            Some(value) => self.meta.insert(META_LAST_MODIFIED, value.as_bytes())?,
            None => self.meta.remove(META_LAST_MODIFIED)?,
        };
        self.meta.flush()?;
        Ok(())
    }

    /// `(last_sync, last_modified)` as recorded by [`Self::set_sync_markers`].
    pub fn sync_markers(&self) -> Result<(Option<String>, Option<String>), StoreError> {
        Ok((
            self.meta_string(META_LAST_SYNC)?,
            self.meta_string(META_LAST_MODIFIED)?,
        ))
    }

    fn check_ready(&self) -> Result<(), StoreError> {
        match self.state()? {
            StoreState::Ready => Ok(()),
            StoreState::NeedsRebuild { recorded, expected } => {
                Err(StoreError::NeedsRebuild { recorded, expected })
            }
        }
    }

    fn check_embedder(&self, embedder: &dyn Embedder) -> Result<(), StoreError> {
        let actual = ModelStamp {
            model: embedder.model_name().to_string(),
            dim: embedder.dim(),
        };
        if actual == self.expected {
            return Ok(());
        }
        Err(StoreError::WrongEmbedder {
            actual,
            expected: self.expected.clone(),
        })
    }

    fn embed_and_write(
        &self,
        chunk: &[Article],
        embedder: &dyn Embedder,
    ) -> Result<Vec<(Article, Vec<f32>)>, StoreError> {
        let texts: Vec<String> = chunk.iter().map(embedding_text).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&refs)?;
        if vectors.len() != chunk.len() || vectors.iter().any(|v| v.len() != self.expected.dim) {
            return Err(EmbedError::Inference(format!(
                "embedder returned {} vectors of the wrong shape for {} texts (expected {} dims)",
                vectors.len(),
                chunk.len(),
                self.expected.dim
            ))
            .into());
        }
        let records = chunk
            .iter()
            .map(|a| encode_article(a).map(|json| (a.id.clone(), json)))
            .collect::<Result<Vec<_>, _>>()?;
        (&self.articles, &self.vectors)
            .transaction(|(articles, vectors_tree)| {
                for ((id, json), vector) in records.iter().zip(&vectors) {
                    articles.insert(id.as_bytes(), json.as_slice())?;
                    vectors_tree.insert(id.as_bytes(), encode_vector(vector))?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)?;
        Ok(chunk.iter().cloned().zip(vectors).collect())
    }

    fn rewrite_metadata(&self, unchanged: &[Article]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for article in unchanged {
            batch.insert(article.id.as_bytes(), encode_article(article)?);
        }
        self.articles.apply_batch(batch)?;
        Ok(())
    }

    fn delete(&self, ids: &[ArticleId]) -> Result<Vec<ArticleId>, StoreError> {
        let present: Vec<ArticleId> = ids
            .iter()
            .filter(|id| self.articles.contains_key(id.as_bytes()).unwrap_or(false))
            .cloned()
            .collect();
        (&self.articles, &self.vectors)
            .transaction(|(articles, vectors)| {
                for id in &present {
                    articles.remove(id.as_bytes())?;
                    vectors.remove(id.as_bytes())?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)?;
        Ok(present)
    }

    fn stored_articles(&self) -> Result<Vec<StoredArticle>, StoreError> {
        self.articles
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                decode_article(&String::from_utf8_lossy(&key), &value)
            })
            .collect()
    }

    fn recorded_stamp(&self) -> Result<Option<ModelStamp>, StoreError> {
        let (Some(model), Some(dim)) = (self.meta_string(META_MODEL)?, self.meta_string(META_DIM)?)
        else {
            return Ok(None);
        };
        let dim = dim.parse().map_err(|_| corrupt(META_DIM, "not a number"))?;
        Ok(Some(ModelStamp { model, dim }))
    }

    fn write_stamp(&self) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        batch.insert(META_MODEL, self.expected.model.as_bytes());
        batch.insert(META_DIM, self.expected.dim.to_string().as_bytes());
        batch.insert(META_SCHEMA, SCHEMA_VERSION.to_string().as_bytes());
        self.meta.apply_batch(batch)?;
        self.meta.flush()?;
        Ok(())
    }

    fn meta_string(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}

fn transaction_error(error: TransactionError<()>) -> StoreError {
    match error {
        TransactionError::Storage(e) => StoreError::Storage(e),
        TransactionError::Abort(()) => StoreError::Corrupt {
            key: String::new(),
            reason: "transaction aborted".into(),
        },
    }
}

fn corrupt(key: &str, reason: &str) -> StoreError {
    StoreError::Corrupt {
        key: key.to_string(),
        reason: reason.to_string(),
    }
}

fn encode_article(article: &Article) -> Result<Vec<u8>, StoreError> {
    let stored = StoredArticle {
        article: article.clone(),
        content_hash: content_hash(article),
    };
    serde_json::to_vec(&stored).map_err(|e| corrupt(&article.id, &e.to_string()))
}

fn decode_article(key: &str, bytes: &[u8]) -> Result<StoredArticle, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(key, &e.to_string()))
}

/// Little-endian f32 bytes.
pub fn encode_vector(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn decode_vector(key: &str, bytes: &[u8], dim: usize) -> Result<Vec<f32>, StoreError> {
    if bytes.len() != dim * 4 {
        return Err(corrupt(
            key,
            &format!("vector has {} bytes, expected {}", bytes.len(), dim * 4),
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}
