//! Personal data at rest, on both backends: petitioners and downlink bodies
//! are stored sealed (the raw rows never hold the plaintext), read back
//! whole, resealed by a rekey after a key rotation, refused when the key is
//! missing or the row was tampered with or moved, and plaintext stored
//! before migration `0007` is sealed by the rekey with nothing left behind.

use chrono::{NaiveDate, TimeZone, Utc};
use fengqiao_core::DisputeCategory;
use fengqiao_core::case::{Case, CaseEvent, CaseId, Channel, Context, DeadlinePolicy, Intake, Petitioner};
use fengqiao_core::{UnitId, UnitTree};
use fengqiao_store::testing::{TestDb, audit_record};
use fengqiao_store::{Backend, CaseEventItem, Keyring, PersonalDataKey, RekeyReport, Store, StoreError};

const TREE: &str = fengqiao_store::testing::trees::DISTRICT_AND_TOWNSHIP;
const DISTRICT: &str = "410411";
const TOWNSHIP: &str = "410411001";

const NAME: &str = "Zzqx Leakcheck";
const PHONE: &str = "13800138999";
const ID_NUMBER: &str = "41041119770707007X";
/// A downlink body with a petitioner's name inside (as a handover has).
const BODY: &[u8] = b"handover of case P1 for Zzqx Leakcheck";

fn key(byte: u8) -> PersonalDataKey {
    PersonalDataKey::from_bytes([byte; 32])
}

fn ring(current: u8, previous: &[u8]) -> Keyring {
    Keyring::new(key(current), previous.iter().map(|b| key(*b)).collect()).unwrap()
}

fn petitioner() -> Petitioner {
    Petitioner::new(NAME, PHONE, ID_NUMBER).unwrap()
}

fn registration(id: &str) -> CaseEvent {
    let on = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let context = Context {
        at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap(),
        on,
        actor: fengqiao_core::actor::Actor::Unverified { text: Some("officer-1".into()), on_behalf_of: None },
        note: String::new(),
        owner_parent: Some(UnitId::parse(DISTRICT).unwrap()),
        is_below_owner: &|_| true,
        policy: DeadlinePolicy::default(),
    };
    let intake = Intake {
        origin_unit: UnitId::parse(TOWNSHIP).unwrap(),
        category: DisputeCategory::Neighbour,
        channel: Channel::Letter,
        summary: "a fence".into(),
        petitioner_ref: None,
        source: None,
        workers: 0,
        amount_claimed_cents: 0,
        project: None,
    };
    Case::register(CaseId::parse(id).unwrap(), intake, None, &context).unwrap()
}

/// A raw connection to the test database, beside the store.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn open(db: &TestDb) -> Raw {
        match db.backend() {
            Backend::Sqlite => Raw::Sqlite(sqlx::SqlitePool::connect(&db.url()).await.unwrap()),
            Backend::Postgres => Raw::Postgres(sqlx::PgPool::connect(&db.url()).await.unwrap()),
        }
    }

    async fn execute(&self, sql: &'static str) {
        match self {
            Raw::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            Raw::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Every stored byte of a table's rows, as one blob per row (bytea and
    /// text columns alike).
    async fn rows(&self, table: &str) -> Vec<Vec<u8>> {
        match self {
            Raw::Sqlite(pool) => {
                let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{table}')"
                )))
                .fetch_all(pool)
                .await
                .unwrap();
                let concat = columns
                    .iter()
                    .map(|c| format!("COALESCE(CAST({c} AS BLOB), X'')"))
                    .collect::<Vec<_>>()
                    .join(" || ");
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {concat} FROM {table}")))
                    .fetch_all(pool)
                    .await
                    .unwrap()
            }
            Raw::Postgres(pool) => {
                // A row as text shows bytea as hex: decode every \x… run.
                let rows: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT t::text FROM {table} t")))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                rows.into_iter().map(|row| with_hex_decoded(&row)).collect()
            }
        }
    }

    async fn close(self) {
        match self {
            Raw::Sqlite(pool) => pool.close().await,
            Raw::Postgres(pool) => pool.close().await,
        }
    }
}

/// The text, followed by the bytes of every `\x`-prefixed hex run in it.
fn with_hex_decoded(text: &str) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    for part in text.split("\\\\x").skip(1).chain(text.split("\\x").skip(1)) {
        let hex: String = part.chars().take_while(char::is_ascii_hexdigit).collect();
        if let Ok(bytes) = hex::decode(&hex[..hex.len() / 2 * 2]) {
            out.extend(bytes);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Asserts no row of the personal-data tables holds any of the values.
async fn assert_sealed_at_rest(raw: &Raw) {
    for table in ["case_petitioners", "downlink_events", "case_events", "cases", "outbox"] {
        for row in raw.rows(table).await {
            for needle in [NAME, "Leakcheck", PHONE, ID_NUMBER] {
                assert!(!contains(&row, needle), "{needle:?} stored in plaintext in {table}");
            }
        }
    }
}

async fn open(db: &TestDb, keyring: Keyring) -> std::sync::Arc<dyn Store> {
    let store = db.open_with(keyring).await.expect("test database opens");
    store.replace_units(&UnitTree::from_csv(TREE).unwrap(), audit_record("tree")).await.unwrap();
    store
}

async fn seed(store: &dyn Store) {
    let items = vec![CaseEventItem {
        event: registration("P1"),
        petitioner: Some(petitioner()),
        audit: audit_record("P1"),
    }];
    store.apply_case_events(items, true).await.unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap();
    store
        .append_downlink(&UnitId::parse(TOWNSHIP).unwrap(), BODY, at, audit_record("handover"))
        .await
        .unwrap();
}

async fn read_back(store: &dyn Store) -> Result<(Option<Petitioner>, Vec<u8>), StoreError> {
    let petitioner = store.case_petitioner(&CaseId::parse("P1").unwrap()).await?;
    let rows = store.read_downlink(&UnitId::parse(TOWNSHIP).unwrap(), 0, 10).await?;
    assert_eq!(rows.len(), 1);
    Ok((petitioner, rows[0].body.clone()))
}

async fn sealed_at_rest_and_read_back_whole(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = open(&db, ring(1, &[])).await;
    seed(&*store).await;
    assert_eq!(read_back(&*store).await.unwrap(), (Some(petitioner()), BODY.to_vec()));
    let raw = Raw::open(&db).await;
    // The search would find a plaintext copy: the summary is stored as is.
    assert!(raw.rows("cases").await.iter().any(|row| contains(row, "a fence")), "the search reads the rows");
    assert_sealed_at_rest(&raw).await;
    raw.close().await;
    store.close().await;
    db.cleanup().await;
}

async fn rotation_reseals_and_refuses_what_does_not_open(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = open(&db, ring(1, &[])).await;
    seed(&*store).await;
    store.close().await;

    // Rotated: the previous key still reads; the rekey moves everything.
    let store = open(&db, ring(2, &[1])).await;
    assert_eq!(read_back(&*store).await.unwrap().0, Some(petitioner()));
    let report = store.rekey_personal_data().await.unwrap();
    assert_eq!(report, RekeyReport { petitioners: 1, downlink_events: 1, plaintext_sealed: 0 });
    assert_eq!(store.rekey_personal_data().await.unwrap(), RekeyReport::default(), "nothing left to do");
    store.close().await;

    // The old key retired: everything reads under the new one alone.
    let store = open(&db, ring(2, &[])).await;
    assert_eq!(read_back(&*store).await.unwrap(), (Some(petitioner()), BODY.to_vec()));
    store.close().await;

    // Only the old key: a clear error naming the case and the key, not the data.
    let store = open(&db, ring(1, &[])).await;
    let error = store.case_petitioner(&CaseId::parse("P1").unwrap()).await.unwrap_err().to_string();
    assert!(matches!(
        store.case_petitioner(&CaseId::parse("P1").unwrap()).await,
        Err(StoreError::PersonalData(_))
    ));
    assert!(error.contains("case P1") && error.contains(&key(2).id().to_hex()), "{error}");
    assert!(!error.contains("Leakcheck") && !error.contains(PHONE), "{error}");
    let error = store.read_downlink(&UnitId::parse(TOWNSHIP).unwrap(), 0, 10).await.unwrap_err().to_string();
    assert!(error.contains("downlink event 1"), "{error}");
    // A rekey that cannot open a value changes nothing.
    assert!(matches!(store.rekey_personal_data().await, Err(StoreError::PersonalData(_))));
    store.close().await;

    // A sealed petitioner copied to another case does not open there.
    let store = open(&db, ring(2, &[])).await;
    let items =
        vec![CaseEventItem { event: registration("P2"), petitioner: None, audit: audit_record("P2") }];
    store.apply_case_events(items, false).await.unwrap();
    let raw = Raw::open(&db).await;
    raw.execute(
        "INSERT INTO case_petitioners (case_id, key_id, sealed) \
         SELECT 'P2', key_id, sealed FROM case_petitioners WHERE case_id = 'P1'",
    )
    .await;
    let error = store.case_petitioner(&CaseId::parse("P2").unwrap()).await.unwrap_err().to_string();
    assert!(error.contains("case P2") && error.contains("does not authenticate"), "{error}");
    assert_eq!(store.case_petitioner(&CaseId::parse("P1").unwrap()).await.unwrap(), Some(petitioner()));
    raw.close().await;
    store.close().await;
    db.cleanup().await;
}

async fn plaintext_from_before_0007_is_sealed_by_the_rekey(backend: Backend) {
    let db = TestDb::new(backend).await;
    // A database as version 0006 left it, with plaintext personal data.
    let mut migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.migrations =
        migrator.migrations.iter().filter(|m| m.version <= 6).cloned().collect::<Vec<_>>().into();
    match backend {
        Backend::Sqlite => {
            let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&db.url())
                .unwrap()
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            migrator.run(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let admin = sqlx::PgPool::connect(&fengqiao_store::testing::postgres_url()).await.unwrap();
            let schema = db.schema().unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
            migrator.run(&pool).await.unwrap();
            pool.close().await;
        }
    }
    let raw = Raw::open(&db).await;
    raw.execute(
        "INSERT INTO case_petitioners (case_id, name, phone, id_number) \
         VALUES ('P1', 'Zzqx Leakcheck', '13800138999', '41041119770707007X')",
    )
    .await;
    raw.close().await;
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap();
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.unwrap();
            sqlx::query("INSERT INTO downlink_events (target_unit_id, body, created_at) VALUES (?, ?, ?)")
                .bind(TOWNSHIP)
                .bind(BODY)
                .bind(at)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
            sqlx::query("INSERT INTO downlink_events (target_unit_id, body, created_at) VALUES ($1, $2, $3)")
                .bind(TOWNSHIP)
                .bind(BODY)
                .bind(at)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }

    // Opening migrates to 0007; the plaintext is not served until sealed.
    let store = open(&db, ring(3, &[])).await;
    store
        .apply_case_events(
            vec![CaseEventItem { event: registration("P1"), petitioner: None, audit: audit_record("P1") }],
            false,
        )
        .await
        .unwrap();
    let error = store.read_downlink(&UnitId::parse(TOWNSHIP).unwrap(), 0, 10).await.unwrap_err().to_string();
    assert!(error.contains("fengqiao pii rekey"), "{error}");
    let report = store.rekey_personal_data().await.unwrap();
    assert_eq!(report, RekeyReport { petitioners: 0, downlink_events: 0, plaintext_sealed: 2 });
    assert_eq!(read_back(&*store).await.unwrap(), (Some(petitioner()), BODY.to_vec()));
    let raw = Raw::open(&db).await;
    assert_sealed_at_rest(&raw).await;
    raw.close().await;
    store.close().await;
    if let Some(path) = db.sqlite_path() {
        // Not in the file's free pages either, nor in its WAL.
        for file in [path.clone(), path.with_extension("db-wal")] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            for needle in [NAME, PHONE, ID_NUMBER] {
                assert!(!contains(&bytes, needle), "{needle:?} left in {}", file.display());
            }
        }
    }
    db.cleanup().await;
}

fengqiao_store::both_backends!(
    sealed_at_rest_and_read_back_whole,
    rotation_reseals_and_refuses_what_does_not_open,
    plaintext_from_before_0007_is_sealed_by_the_rekey,
);
