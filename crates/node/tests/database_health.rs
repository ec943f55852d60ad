//! Health follows the database: a node whose PostgreSQL becomes unreachable
//! answers NOT_SERVING (overall and per service) until the database is back.
//! The test puts a TCP relay it controls between the node and PostgreSQL and
//! cuts it; SQLite, in the node's own process, has no such failure.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fengqiao_core::{SystemClock, UnitTree};
use fengqiao_node::{Node, NodeConfig};
use fengqiao_store::postgres::PgStore;
use fengqiao_store::testing::postgres_url;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const TREE: &str = fengqiao_store::testing::trees::DISTRICT_AND_TOWNSHIP;

/// A TCP relay to PostgreSQL that the test can cut (every open connection
/// closed, new ones refused) and restore.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<tokio::sync::Mutex<JoinSet<()>>>,
    _accept: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(tokio::sync::Mutex::new(JoinSet::new()));
        let accept = tokio::spawn({
            let up = Arc::clone(&up);
            let connections = Arc::clone(&connections);
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let target = target.clone();
                    connections.lock().await.spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(&target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                }
            }
        });
        Relay { port, up, connections, _accept: accept }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.connections.lock().await.abort_all();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn status(channel: &Channel, service: &str) -> i32 {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest { service: service.into() })
        .await
        .expect("health is always answered")
        .into_inner()
        .status
}

/// Polls until `service` reports `expected`, for at most `within`.
async fn wait_for(channel: &Channel, service: &str, expected: ServingStatus, within: Duration) -> i32 {
    let deadline = Instant::now() + within;
    loop {
        let now = status(channel, service).await;
        if now == expected as i32 || Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn health_is_not_serving_while_the_database_is_unreachable() {
    let url = postgres_url();
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let relay = Relay::start(format!("{}:{}", options.get_host(), options.get_port())).await;
    let relayed_url = format!(
        "postgres://{}@127.0.0.1:{}/{}",
        options.get_username(),
        relay.port,
        options.get_database().unwrap_or("postgres")
    );
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let store = Arc::new(PgStore::connect_in_schema(&relayed_url, &schema).await.unwrap());
    let config = NodeConfig { database_check: Duration::from_millis(200), ..NodeConfig::new("410411") };
    let node =
        Node::start(config, &UnitTree::from_csv(TREE).unwrap(), store, Arc::new(SystemClock)).await.unwrap();
    let listener = common::bind("127.0.0.1:0".parse().unwrap()).await;
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(fengqiao_node::serve(node, listener, async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
    let reporting = "fengqiao.v1.ReportingService";
    assert_eq!(status(&channel, "").await, ServingStatus::Serving as i32);

    relay.cut().await;
    let within = Duration::from_secs(10);
    assert_eq!(
        wait_for(&channel, "", ServingStatus::NotServing, within).await,
        ServingStatus::NotServing as i32
    );
    assert_eq!(status(&channel, reporting).await, ServingStatus::NotServing as i32);

    relay.restore();
    assert_eq!(wait_for(&channel, "", ServingStatus::Serving, within).await, ServingStatus::Serving as i32);
    assert_eq!(status(&channel, reporting).await, ServingStatus::Serving as i32);

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    PgStore::drop_schema(&url, &schema).await.unwrap();
}
