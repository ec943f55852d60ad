//! Faults of the database, injected for real under an in-process node:
//!
//! - a SQLite file on an ext4 filesystem (a loop device the test makes)
//!   that the kernel remounts read-only on an error;
//! - a SQLite file on a small tmpfs that fills up, then gets room again;
//! - a PostgreSQL backend terminated in the middle of a transaction, and
//!   every backend of the node terminated again and again during a burst.
//!
//! Each time: the failed writes are UNAVAILABLE (retryable), health turns
//! NOT_SERVING at the first failed write and SERVING once a write probe
//! commits again, and the audit log holds exactly one entry per stored
//! change. The filesystem faults need root (mount, losetup): CI runs as
//! root; elsewhere these tests say so and pass without running.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::expect_code;
use fengqiao_core::{SystemClock, TimePolicy, UnitTree};
use fengqiao_node::{Node, NodeConfig};
use fengqiao_proto::pb;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_store::postgres::PgStore;
use fengqiao_store::sqlite::SqliteStore;
use fengqiao_store::testing::postgres_url;
use fengqiao_store::{Store, StoreError};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const SUBMIT: &str = "fengqiao.v1.ReportingService/SubmitDailyReport";
const GROUPS: usize = 20;

fn tree() -> UnitTree {
    UnitTree::from_csv(&fengqiao_store::testing::trees::one_community(GROUPS)).unwrap()
}

fn group(n: usize) -> String {
    format!("410411001001{:03}", 1 + n % GROUPS)
}

/// The `n`th day before today in the deployment's zone.
fn day(n: usize) -> String {
    let today = TimePolicy::default().local_date(Utc::now());
    (today - chrono::Duration::days(1 + n as i64)).to_string()
}

fn report(unit: &str, date: &str) -> pb::SubmitDailyReportRequest {
    pb::SubmitDailyReportRequest {
        report: Some(pb::DailyReport {
            unit_id: unit.into(),
            date: date.into(),
            revision: 1,
            reporter: "officer-7".into(),
            zero: true,
            disputes: vec![],
            correction_reason: String::new(),
        }),
    }
}

/// Runs a command that must succeed (the test's own mounts).
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// A small tmpfs mounted for one test; unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap();
        match run("mount", &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", path]) {
            Ok(_) => Some(Tmpfs { dir }),
            Err(error) => {
                eprintln!("SKIPPED: cannot mount a tmpfs (root needed): {error}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = run("umount", &["-l", self.dir.path().to_str().unwrap()]);
    }
}

/// An ext4 filesystem on a loop device, mounted `errors=remount-ro`, whose
/// error the test can trigger (ext4's `trigger_fs_error`): the kernel then
/// remounts it read-only, as on a failing disk, under the open files.
struct Ext4 {
    dir: tempfile::TempDir,
    _image: tempfile::NamedTempFile,
    device: String,
}

impl Ext4 {
    fn mount() -> Option<Ext4> {
        let image = tempfile::NamedTempFile::new().unwrap();
        image.as_file().set_len(64 << 20).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let made = (|| {
            let device = run("losetup", &["-f", "--show", image.path().to_str().unwrap()])?;
            let mounted = run("mkfs.ext4", &["-q", &device]).and_then(|_| {
                run("mount", &["-o", "errors=remount-ro", &device, dir.path().to_str().unwrap()])
            });
            if let Err(error) = mounted {
                let _ = run("losetup", &["-d", &device]);
                return Err(error);
            }
            Ok(device)
        })();
        match made {
            Ok(device) => Some(Ext4 { dir, _image: image, device }),
            Err(error) => {
                eprintln!("SKIPPED: cannot make an ext4 filesystem on a loop device (root needed): {error}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// An ext4 error: the filesystem goes read-only at once.
    fn fail(&self) {
        let name = Path::new(&self.device).file_name().unwrap().to_str().unwrap();
        std::fs::write(format!("/sys/fs/ext4/{name}/trigger_fs_error"), "fault injected by a test\n")
            .unwrap();
    }
}

impl Drop for Ext4 {
    fn drop(&mut self) {
        let _ = run("umount", &["-l", self.dir.path().to_str().unwrap()]);
        let _ = run("losetup", &["-d", &self.device]);
    }
}

/// An in-process node on `store`, probing its database every `check`.
struct Running {
    store: Arc<dyn Store>,
    channel: Channel,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), fengqiao_node::ServeError>>,
}

impl Running {
    async fn start(store: Arc<dyn Store>, check: Duration) -> Running {
        let config = NodeConfig {
            database_check: check,
            limits: fengqiao_node::Limits::unthrottled(),
            ..NodeConfig::new("410411001")
        };
        let node = Node::start(config, &tree(), Arc::clone(&store), Arc::new(SystemClock)).await.unwrap();
        let listener = common::bind("127.0.0.1:0".parse().unwrap()).await;
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(fengqiao_node::serve(node, listener, async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
        Running { store, channel, stop, server }
    }

    fn reporting(&self) -> ReportingServiceClient<Channel> {
        ReportingServiceClient::new(self.channel.clone())
    }

    async fn submit(&self, unit: &str, date: &str) -> Result<pb::SubmitDailyReportResponse, tonic::Status> {
        self.reporting().submit_daily_report(report(unit, date)).await.map(tonic::Response::into_inner)
    }

    async fn health(&self) -> i32 {
        HealthClient::new(self.channel.clone())
            .check(HealthCheckRequest { service: String::new() })
            .await
            .expect("health is always answered")
            .into_inner()
            .status
    }

    /// Waits (at most `within`) for health to say `expected`; how long it took.
    async fn health_becomes(&self, expected: ServingStatus, within: Duration) -> Duration {
        let started = Instant::now();
        while self.health().await != expected as i32 {
            assert!(started.elapsed() < within, "health did not turn {expected:?} within {within:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        started.elapsed()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.unwrap().unwrap();
        self.store.close().await;
    }
}

/// Every audit entry of the node's log (paged).
async fn audit_log(store: &dyn Store) -> Vec<fengqiao_core::audit::AuditEntry> {
    let mut log: Vec<fengqiao_core::audit::AuditEntry> = Vec::new();
    loop {
        let page = store.audit_page(log.last().map_or(0, |e| e.seq), 1000).await.unwrap();
        if page.is_empty() {
            return log;
        }
        log.extend(page);
    }
}

/// Asserts one audit entry per stored report revision, naming it, on a
/// chain that verifies.
async fn one_entry_per_revision(store: &dyn Store, revisions: i64) {
    let log = audit_log(store).await;
    assert!(fengqiao_core::audit::verify(&log, None).is_ok(), "the chain verifies");
    let entries = log.iter().filter(|e| e.rpc == SUBMIT).count() as i64;
    assert_eq!(entries, revisions, "one audit entry per stored revision");
}

/// How many report revisions a SQLite file holds, read behind the node's back.
async fn sqlite_revisions(file: &Path) -> i64 {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM report_revisions").fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

async fn sqlite_node(dir: &Path, check: Duration) -> (Running, PathBuf) {
    let file = dir.join("node.db");
    let store = SqliteStore::connect(&format!("sqlite://{}", file.display())).await.unwrap();
    (Running::start(Arc::new(store), check).await, file)
}

/// The filesystem under a SQLite node turns read-only (an ext4 error): every
/// write is UNAVAILABLE and changes nothing, health turns NOT_SERVING at the
/// first failed write (before, it stayed SERVING: the check was a
/// `SELECT 1`), reads still work, and the audit log matches the data.
#[tokio::test]
async fn sqlite_on_a_filesystem_turned_read_only() {
    let Some(fs) = Ext4::mount() else { return };
    let (node, file) = sqlite_node(fs.path(), Duration::from_millis(100)).await;
    node.submit(&group(0), &day(0)).await.expect("a write before the fault");
    node.health_becomes(ServingStatus::Serving, Duration::from_secs(5)).await;

    fs.fail();
    let refused = expect_code(node.submit(&group(1), &day(0)).await, Code::Unavailable);
    assert!(refused.message().contains("nothing was changed"), "{}", refused.message());
    node.health_becomes(ServingStatus::NotServing, Duration::from_secs(2)).await;
    // Reads go on.
    let stored = node
        .reporting()
        .get_daily_report(pb::GetDailyReportRequest {
            unit_id: group(0),
            date: day(0),
            revision: 0,
            ..Default::default()
        })
        .await
        .expect("reads still work");
    assert!(stored.into_inner().report.is_some());
    expect_code(node.submit(&group(2), &day(0)).await, Code::Unavailable);
    // Still NOT_SERVING after several probes: none can commit.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(node.health().await, ServingStatus::NotServing as i32);

    assert_eq!(sqlite_revisions(&file).await, 1, "nothing stored after the fault");
    one_entry_per_revision(&*node.store, 1).await;
    node.stop().await;
}

/// A SQLite node whose disk fills during a burst: the writes that fail are
/// UNAVAILABLE, health turns NOT_SERVING at the first, and SERVING again once
/// there is room (a probe commits); every stored revision has its audit
/// entry (before, a report could commit while its entry, written in a
/// transaction of its own, failed on the full disk).
#[tokio::test]
async fn sqlite_on_a_disk_that_fills_up() {
    let Some(fs) = Tmpfs::mount("6m") else { return };
    // Probes 2 s apart: the one small write of a probe may still fit on the
    // full disk; a failed real write keeps health NOT_SERVING at least until
    // the second tick after it, long enough to see here.
    let (node, file) = sqlite_node(fs.path(), Duration::from_secs(2)).await;
    node.health_becomes(ServingStatus::Serving, Duration::from_secs(5)).await;
    // Fill the disk but for a little room, then burst until writes fail.
    let filler = fs.path().join("filler");
    {
        use std::io::Write;
        let mut out = std::fs::File::create(&filler).unwrap();
        let chunk = vec![7u8; 64 << 10];
        while out.write_all(&chunk).is_ok() {}
        drop(out);
        let len = std::fs::metadata(&filler).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&filler).unwrap().set_len(len - (256 << 10)).unwrap();
    }
    let node = Arc::new(node);
    let failed = Arc::new(AtomicBool::new(false));
    let codes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let (node, failed, codes) = (Arc::clone(&node), Arc::clone(&failed), Arc::clone(&codes));
            tokio::spawn(async move {
                for n in 0..2000 {
                    let key = n * 8 + task;
                    // Big reports fill the disk fast.
                    let mut request = report(&group(key), &day(key / GROUPS));
                    let dispute = pb::Dispute {
                        local_id: "d1".into(),
                        category: pb::DisputeCategory::Neighbour.into(),
                        parties: 2,
                        summary: "x".repeat(480),
                        outcome: pb::DisputeOutcome::Mediating.into(),
                        ..pb::Dispute::default()
                    };
                    let body = request.report.as_mut().unwrap();
                    body.zero = false;
                    body.disputes = (0..40)
                        .map(|i| pb::Dispute { local_id: format!("d{i}"), ..dispute.clone() })
                        .collect();
                    match node.reporting().submit_daily_report(request).await {
                        Ok(_) => {}
                        Err(status) => {
                            codes.lock().unwrap().push(status.code());
                            failed.store(true, Ordering::SeqCst);
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert!(failed.load(Ordering::SeqCst), "the disk filled up");
    let codes = codes.lock().unwrap().clone();
    assert!(codes.iter().all(|code| *code == Code::Unavailable), "full disk → UNAVAILABLE: {codes:?}");
    let took = node.health_becomes(ServingStatus::NotServing, Duration::from_secs(2)).await;
    assert!(took < Duration::from_secs(1), "at once, not at a later probe: {took:?}");

    // Room again: health comes back, and so do writes.
    std::fs::remove_file(&filler).unwrap();
    node.health_becomes(ServingStatus::Serving, Duration::from_secs(10)).await;
    node.submit(&group(0), &day(300)).await.expect("writes work again");

    let revisions = sqlite_revisions(&file).await;
    assert!(revisions > 1, "{revisions}");
    one_entry_per_revision(&*node.store, revisions).await;
    Arc::into_inner(node).unwrap().stop().await;
}

/// A PostgreSQL store whose connections say who they are, so the test can
/// find and terminate exactly this node's backends.
async fn pg_store(application: &str) -> (Arc<dyn Store>, String) {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{}?application_name={application}", postgres_url());
    (Arc::new(PgStore::connect_in_schema(&url, &schema).await.unwrap()), schema)
}

async fn admin() -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(&postgres_url()).await.unwrap()
}

/// Terminates every backend of `application`; how many.
async fn terminate(admin: &sqlx::PgPool, application: &str, only_waiting: bool) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND (NOT $2 OR wait_event_type = 'Lock')) AS t",
    )
    .bind(application)
    .bind(only_waiting)
    .fetch_one(admin)
    .await
    .unwrap()
}

async fn pg_revisions(admin: &sqlx::PgPool, schema: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {schema}.report_revisions")))
        .fetch_one(admin)
        .await
        .unwrap()
}

/// The connection of a write is terminated in the middle of its
/// transaction (the report rows written, the audit entry waiting for the
/// log's lock, which the test holds): the caller gets UNAVAILABLE, not
/// INTERNAL, nothing of it is stored, and the retry is taken.
#[tokio::test]
async fn postgres_connection_lost_mid_transaction_is_unavailable() {
    let application = format!("e2mid{}", uuid::Uuid::new_v4().simple());
    let (store, schema) = pg_store(&application).await;
    let node = Running::start(store, Duration::from_millis(100)).await;
    let admin = admin().await;
    node.submit(&group(0), &day(0)).await.unwrap();

    let mut lock = admin.begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("LOCK TABLE {schema}.audit_log IN ACCESS EXCLUSIVE MODE")))
        .execute(&mut *lock)
        .await
        .unwrap();
    let submitted = tokio::spawn({
        let reporting = node.reporting();
        async move { reporting.clone().submit_daily_report(report(&group(1), &day(0))).await }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while terminate(&admin, &application, true).await == 0 {
        assert!(Instant::now() < deadline, "the write never waited on the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = expect_code(submitted.await.unwrap(), Code::Unavailable);
    assert!(status.message().contains("nothing was changed"), "{}", status.message());
    lock.rollback().await.unwrap();
    assert_eq!(pg_revisions(&admin, &schema).await, 1, "nothing of the cut transaction is stored");

    node.submit(&group(1), &day(0)).await.expect("the retry is taken");
    one_entry_per_revision(&*node.store, 2).await;
    node.health_becomes(ServingStatus::Serving, Duration::from_secs(5)).await;
    node.stop().await;
    PgStore::drop_schema(&postgres_url(), &schema).await.unwrap();
    admin.close().await;
}

/// Every connection of the node terminated again and again, at random
/// moments, during a burst of reports from 14 clients and case
/// registrations from 2: whatever committed has its audit entry, and
/// nothing else does (before, an entry appended after its change's commit
/// was lost when the kill fell between the two).
#[tokio::test]
async fn postgres_connections_killed_during_a_burst_leave_an_entry_per_change() {
    let application = format!("e2burst{}", uuid::Uuid::new_v4().simple());
    let (store, schema) = pg_store(&application).await;
    let node = Arc::new(Running::start(store, Duration::from_millis(100)).await);
    let admin = admin().await;
    let acked = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(std::sync::Mutex::new(Vec::new()));
    let running = Arc::new(AtomicBool::new(true));
    let clients: Vec<_> = (0..16)
        .map(|client| {
            let (node, acked, refused, running) =
                (Arc::clone(&node), Arc::clone(&acked), Arc::clone(&refused), Arc::clone(&running));
            tokio::spawn(async move {
                let mut reporting = node.reporting();
                let mut cases = CaseServiceClient::new(node.channel.clone());
                for n in 0.. {
                    if !running.load(Ordering::SeqCst) {
                        return;
                    }
                    let key = n * 16 + client;
                    let result = if client < 2 {
                        let intake = pb::CaseIntake {
                            origin_unit_id: group(key),
                            category: pb::DisputeCategory::Neighbour.into(),
                            channel: pb::CaseChannel::Letter.into(),
                            summary: "a fence between two yards".into(),
                            ..pb::CaseIntake::default()
                        };
                        let request = pb::RegisterCaseRequest {
                            case_id: format!("{}-burst-{key}", group(key)),
                            intake: Some(intake),
                            actor: "officer-1".into(),
                            ..pb::RegisterCaseRequest::default()
                        };
                        cases.register_case(request).await.map(|_| ())
                    } else {
                        reporting
                            .submit_daily_report(report(&group(key), &day(key / GROUPS)))
                            .await
                            .map(|_| ())
                    };
                    match result {
                        Ok(_) => {
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(status) => refused.lock().unwrap().push(status.code()),
                    }
                }
            })
        })
        .collect();
    let mut kills = 0;
    let mut seed = 0x9e37_79b9_u64;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        tokio::time::sleep(Duration::from_millis(10 + (seed >> 33) % 90)).await;
        kills += terminate(&admin, &application, false).await;
    }
    running.store(false, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let refused = refused.lock().unwrap().clone();
    assert!(kills > 10, "{kills} backends terminated");
    assert!(!refused.is_empty(), "some calls met a killed connection");
    assert!(
        refused.iter().all(|code| *code == Code::Unavailable),
        "a lost connection is UNAVAILABLE: {refused:?}"
    );
    let revisions = pg_revisions(&admin, &schema).await;
    let events: i64 =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {schema}.case_events")))
            .fetch_one(&admin)
            .await
            .unwrap();
    assert!(revisions + events >= acked.load(Ordering::SeqCst) as i64, "everything acknowledged is stored");
    assert!(events > 0 && revisions > 0, "{events} case events, {revisions} revisions");
    one_entry_per_revision(&*node.store, revisions).await;
    let registrations = audit_log(&*node.store)
        .await
        .iter()
        .filter(|e| e.rpc == "fengqiao.v1.CaseService/RegisterCase")
        .count();
    assert_eq!(registrations as i64, events, "one audit entry per stored case event");
    node.health_becomes(ServingStatus::Serving, Duration::from_secs(5)).await;
    Arc::into_inner(node).unwrap().stop().await;
    PgStore::drop_schema(&postgres_url(), &schema).await.unwrap();
    admin.close().await;
}

/// Real errors of each backend, classified: what retrying may cure is
/// unavailable (UNAVAILABLE to a client), what it cannot is not.
#[tokio::test]
async fn database_errors_are_told_apart() {
    // PostgreSQL: a read-only transaction (25006), a full disk (53100, as
    // the server raises it), the connection terminated (57P01 or a closed
    // socket); a unique violation is not unavailability.
    let admin = admin().await;
    let mut connection = admin.acquire().await.unwrap();
    sqlx::query("BEGIN READ ONLY").execute(&mut *connection).await.unwrap();
    let read_only =
        sqlx::query("CREATE TABLE e2_never_created (x int)").execute(&mut *connection).await.unwrap_err();
    sqlx::query("ROLLBACK").execute(&mut *connection).await.unwrap();
    assert!(StoreError::Database(read_only).is_unavailable());
    let full = sqlx::query("DO $$ BEGIN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END $$")
        .execute(&mut *connection)
        .await
        .unwrap_err();
    assert!(StoreError::Database(full).is_unavailable());
    let division = sqlx::query("SELECT 1 / 0").execute(&mut *connection).await.unwrap_err();
    assert!(!StoreError::Database(division).is_unavailable(), "division by zero is no outage");
    drop(connection);
    let mut doomed =
        <sqlx::postgres::PgConnection as sqlx::Connection>::connect(&postgres_url()).await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut doomed).await.unwrap();
    sqlx::query("BEGIN").execute(&mut doomed).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&admin).await.unwrap();
    let lost = sqlx::query("SELECT 1").execute(&mut doomed).await.unwrap_err();
    assert!(StoreError::Database(lost).is_unavailable());
    admin.close().await;

    // SQLite: a write through a read-only connection (SQLITE_READONLY) is
    // unavailability; a constraint violation is not.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("node.db");
    SqliteStore::connect(&format!("sqlite://{}", file.display())).await.unwrap().close().await;
    let read_only_pool = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new().filename(&file).read_only(true),
    )
    .await
    .unwrap();
    let read_only = sqlx::query("INSERT INTO node_meta (key, value) VALUES ('x', 'y')")
        .execute(&read_only_pool)
        .await
        .unwrap_err();
    assert!(StoreError::Database(read_only).is_unavailable());
    let pool = sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&file))
        .await
        .unwrap();
    let constraint = sqlx::query("INSERT INTO node_meta (key, value) VALUES (NULL, 'y')")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(!StoreError::Database(constraint).is_unavailable());
    pool.close().await;
    read_only_pool.close().await;
}
