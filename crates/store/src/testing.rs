//! Throwaway databases for tests on either backend: a SQLite file in a
//! temporary directory, or a fresh schema in the PostgreSQL database named by
//! `FENGQIAO_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`), so
//! tests run in parallel without seeing each other.
//! [`both_backends!`](crate::both_backends) runs one suite on both; [`trees`]
//! holds the unit trees tests share.

use std::sync::Arc;

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Backend, Keyring, Store, StoreError};

pub mod trees;

/// The PostgreSQL server tests use.
pub fn postgres_url() -> String {
    std::env::var("FENGQIAO_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// One test's database; [`TestDb::open`] may be called again to reopen it
/// (a restart).
#[derive(Debug)]
pub struct TestDb {
    backend: Backend,
    /// Holds the SQLite file; removed on drop.
    _dir: Option<tempfile::TempDir>,
    url: String,
    schema: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("node.db").display());
                TestDb { backend, _dir: Some(dir), url, schema: None }
            }
            Backend::Postgres => {
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                TestDb { backend, _dir: None, url: postgres_url(), schema: Some(schema) }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL schema holding the tables (none for SQLite).
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The SQLite file (none for PostgreSQL).
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self._dir.as_ref().map(|dir| dir.path().join("node.db"))
    }

    /// A URL a node process can open (for PostgreSQL it carries the schema
    /// as a connection option).
    pub fn url(&self) -> String {
        match &self.schema {
            None => self.url.clone(),
            Some(schema) => format!("{}?options=-c%20search_path%3D{schema}", self.url),
        }
    }

    /// Opens the database (creating and migrating it the first time).
    pub async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        self.open_with(Keyring::development()).await
    }

    /// [`TestDb::open`] with the keys personal data is sealed with.
    pub async fn open_with(&self, keyring: Keyring) -> Result<Arc<dyn Store>, StoreError> {
        match &self.schema {
            None => Ok(Arc::new(SqliteStore::connect_with(&self.url, keyring).await?)),
            Some(schema) => Ok(Arc::new(PgStore::connect_in_schema_with(&self.url, schema, keyring).await?)),
        }
    }

    /// Drops a PostgreSQL schema; the SQLite directory goes on drop.
    pub async fn cleanup(self) {
        if let Some(schema) = &self.schema {
            let _ = PgStore::drop_schema(&self.url, schema).await;
        }
    }
}

/// Declares each listed `async fn name(backend: Backend)` as two tokio
/// tests, `sqlite::name` and `postgres::name`: one suite, both backends.
///
/// The tests are `#[tokio::test]` (a current-thread runtime). To give them
/// another runtime, write the attribute first; it is put on every test:
///
/// ```ignore
/// fengqiao_store::both_backends!(
///     #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
///     replay_one,
///     replay_two,
/// );
/// ```
#[macro_export]
macro_rules! both_backends {
    (#[$attribute:meta] $($test:ident),+ $(,)?) => {
        mod sqlite {
            $(#[$attribute] async fn $test() { super::$test($crate::Backend::Sqlite).await })+
        }
        mod postgres {
            $(#[$attribute] async fn $test() { super::$test($crate::Backend::Postgres).await })+
        }
    };
    ($($test:ident),+ $(,)?) => {
        $crate::both_backends!(#[tokio::test] $($test),+);
    };
}

/// The audit record of a change a test makes through the store directly
/// (a node gives each change its caller's).
pub fn audit_record(target: impl Into<String>) -> fengqiao_core::audit::AuditRecord {
    fengqiao_core::audit::AuditRecord::new(chrono::Utc::now(), "test", "test/store", target)
}
