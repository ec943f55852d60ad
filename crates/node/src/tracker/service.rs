//! `fengqiao.v1.PublicTrackerService` over a node's ledger; the `/track`
//! page calls the same [`PublicTracker::track`] and [`PublicTracker::rate`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use fengqiao_core::case::{Case, CaseId, CaseStatus, Satisfaction};
use fengqiao_core::{UnitId, why};
use fengqiao_proto::WireEnum;
use fengqiao_proto::pb::public_tracker_service_server::PublicTrackerService;
use fengqiao_proto::pb::{self, RateCaseRequest, RateCaseResponse, TrackCaseRequest, TrackCaseResponse};
use tonic::{Code, Request, Response, Status};
use tracing::{debug, instrument};

use super::guard::{Busy, Guard};
use super::{PublicConfig, public_view};
use crate::audit::Auditor;
use crate::cases::sync::{RatingDelivered, deliver_rating};
use crate::status::refusal;
use crate::{Node, NodeError};

/// The hash an unknown case is checked against, so that the work done is
/// the same as for a known one (no code's hash: 64 hex digits of nothing).
const DUMMY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The public tracker of one node.
#[derive(Debug, Clone)]
pub struct PublicTracker {
    node: Node,
    config: Arc<PublicConfig>,
    guard: Arc<Guard>,
    /// Ratings sent down toward the holder and not yet back up, by case:
    /// a second rating is refused meanwhile (in memory).
    pending: Arc<tokio::sync::Mutex<HashMap<CaseId, Satisfaction>>>,
}

/// The one refusal of a wrong pair, an unknown case and a locked case number.
fn wrong() -> Status {
    refusal(Code::NotFound, &why!(TRACKER_WRONG_PAIR, "case number or query code is wrong"))
}

fn busy(busy: Busy) -> Status {
    let (why, wait) = match busy {
        Busy::Source(wait) => (
            why!(
                TRACKER_BUSY_SOURCE,
                "too many lookups from this address: retry in {seconds} s",
                seconds = wait.as_secs().max(1)
            ),
            wait,
        ),
        Busy::Case(wait) => (
            why!(
                TRACKER_BUSY_CASE,
                "too many lookups of this case number: retry in {seconds} s",
                seconds = wait.as_secs().max(1)
            ),
            wait,
        ),
    };
    let mut status = refusal(Code::ResourceExhausted, &why);
    if let Ok(value) = wait.as_millis().max(1).to_string().parse() {
        status.metadata_mut().insert("grpc-retry-pushback-ms", value);
    }
    status
}

impl PublicTracker {
    pub fn new(node: Node, config: PublicConfig) -> PublicTracker {
        PublicTracker {
            node,
            guard: Arc::new(Guard::new(&config)),
            config: Arc::new(config),
            pending: Arc::new(tokio::sync::Mutex::new(HashMap::new())),
        }
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Runs `answer`, then waits until the floor time after `start`: every
    /// answer, refusal or not, takes at least as long.
    async fn floored<T>(
        &self,
        start: tokio::time::Instant,
        answer: impl Future<Output = Result<T, Status>>,
    ) -> Result<T, Status> {
        let result = answer.await;
        tokio::time::sleep_until(start + self.config.floor).await;
        result
    }

    /// The case of a right pair, else the refusal (see the module docs).
    async fn open(&self, source: IpAddr, case_id: &str, code: &str) -> Result<Case, Status> {
        let id = CaseId::parse_field(case_id.trim(), "case_id").map_err(NodeError::from)?;
        if fengqiao_core::receipt::normalise(code).is_none() {
            return Err(NodeError::from(fengqiao_core::DomainError::invalid(
                "query_code",
                why!(QUERY_CODE_SHAPE, "a query code is 12 letters and digits, like 7KQ2-M9XH-4TPW"),
            ))
            .into());
        }
        self.guard.admit(source, id.as_str()).map_err(busy)?;
        let locked = self.guard.locked(id.as_str());
        let stored = self.node.store().get_case(&id).await.map_err(NodeError::from)?;
        let hash = stored.as_ref().and_then(|s| s.case.receipt.as_deref()).unwrap_or(DUMMY_HASH);
        let right = fengqiao_core::receipt::verify(id.as_str(), code, hash);
        match stored {
            Some(stored) if right && stored.case.receipt.is_some() && !locked => {
                self.guard.succeeded(id.as_str());
                Ok(stored.case)
            }
            _ => {
                if !locked {
                    self.guard.failed(id.as_str());
                }
                // Neither the address nor the case number: a lookup says
                // nothing in the logs about who follows which case.
                debug!(locked, "public tracker: a pair refused");
                Err(wrong())
            }
        }
    }

    /// TrackCase for `source`.
    pub async fn track(
        &self,
        source: IpAddr,
        request: TrackCaseRequest,
    ) -> Result<TrackCaseResponse, Status> {
        let start = tokio::time::Instant::now();
        self.floored(start, async {
            let case = self.open(source, &request.case_id, &request.query_code).await?;
            let mut view = public_view(&self.node, &case);
            let mut pending = self.pending.lock().await;
            if case.petitioner_rating.is_some() {
                // Recorded by the holder and back up: no longer pending.
                pending.remove(&case.id);
            } else if pending.contains_key(&case.id) {
                view.can_rate = false;
            }
            Ok(view)
        })
        .await
    }

    /// RateCase for `source`.
    pub async fn rate(&self, source: IpAddr, request: RateCaseRequest) -> Result<RateCaseResponse, Status> {
        let start = tokio::time::Instant::now();
        self.floored(start, self.rate_now(source, request)).await
    }

    async fn rate_now(&self, source: IpAddr, request: RateCaseRequest) -> Result<RateCaseResponse, Status> {
        let satisfaction = Satisfaction::from_wire(request.satisfaction, "satisfaction")
            .and_then(|s| fengqiao_core::case::check_rating(s, "satisfaction").map(|()| s))
            .map_err(NodeError::from)?;
        let case = self.open(source, &request.case_id, &request.query_code).await?;
        let answer =
            |recorded| RateCaseResponse { rating: pb::Satisfaction::from(satisfaction).into(), recorded };
        let already = || {
            refusal(
                Code::FailedPrecondition,
                &why!(TRACKER_ALREADY_RATED, "this case has been rated already; a rating is given once"),
            )
        };
        let mut pending = self.pending.lock().await;
        if let Some(rating) = &case.petitioner_rating {
            pending.remove(&case.id);
            return if rating.satisfaction == satisfaction { Ok(answer(true)) } else { Err(already()) };
        }
        if !matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed) {
            return Err(refusal(
                Code::FailedPrecondition,
                &why!(TRACKER_NOT_RESOLVED, "the case is not resolved yet: rate it once it is"),
            ));
        }
        if let Some(given) = pending.get(&case.id) {
            return if *given == satisfaction { Ok(answer(false)) } else { Err(already()) };
        }
        let home = UnitId::parse(&self.node.config().home_unit).map_err(NodeError::from)?;
        let (_, today) = self.node.today();
        let rating = pb::PetitionerRating {
            rating_id: format!("{home}-R{:016x}", rand::random::<u64>()),
            case_id: case.id.to_string(),
            satisfaction: pb::Satisfaction::from(satisfaction).into(),
            rated_on: today.to_string(),
        };
        let by = Auditor::internal("public-tracker", crate::audit::rpc::RATE_CASE);
        match deliver_rating(&self.node, &case.owner_unit, rating, &by).await? {
            RatingDelivered::Recorded => Ok(answer(true)),
            RatingDelivered::SentDown => {
                pending.insert(case.id.clone(), satisfaction);
                Ok(answer(false))
            }
            RatingDelivered::HeldAbove => Err(refusal(
                Code::FailedPrecondition,
                &why!(
                    TRACKER_HELD_ABOVE,
                    "the case is now handled by an upper level's office: rate it on that office's public page"
                ),
            )),
        }
    }
}

fn source_of<T>(request: &Request<T>) -> IpAddr {
    request.remote_addr().map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |a| a.ip())
}

#[tonic::async_trait]
impl PublicTrackerService for PublicTracker {
    #[instrument(name = "rpc.track_case", skip_all)]
    async fn track_case(
        &self,
        request: Request<TrackCaseRequest>,
    ) -> Result<Response<TrackCaseResponse>, Status> {
        let source = source_of(&request);
        Ok(Response::new(self.track(source, request.into_inner()).await?))
    }

    #[instrument(name = "rpc.rate_case", skip_all)]
    async fn rate_case(
        &self,
        request: Request<RateCaseRequest>,
    ) -> Result<Response<RateCaseResponse>, Status> {
        let source = source_of(&request);
        Ok(Response::new(self.rate(source, request.into_inner()).await?))
    }
}
