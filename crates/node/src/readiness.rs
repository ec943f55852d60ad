//! What the HTTP probes on the metrics port answer (`/healthz`, `/readyz`).
//!
//! `serve` keeps the node's gRPC health ([`crate::server`]) and writes the
//! same state here, so `/readyz` (read by `serve_metrics`, which runs beside
//! it) says exactly what `grpc.health.v1` says: ready while the node serves
//! gRPC, its database commits (the write probe and every write since) and it
//! is not draining.

use std::sync::atomic::{AtomicBool, Ordering};

/// The serving state, written by `serve`, read by the probes.
#[derive(Debug)]
pub struct Readiness {
    serving: AtomicBool,
    draining: AtomicBool,
    database_up: AtomicBool,
}

impl Default for Readiness {
    fn default() -> Self {
        Readiness {
            serving: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            database_up: AtomicBool::new(true),
        }
    }
}

impl Readiness {
    /// Records what health publishes: gRPC is served, draining or not, the
    /// database committing or not.
    pub fn publish(&self, draining: bool, database_up: bool) {
        self.draining.store(draining, Ordering::SeqCst);
        self.database_up.store(database_up, Ordering::SeqCst);
        self.serving.store(true, Ordering::SeqCst);
    }

    /// Serving has ended (the gRPC server returned).
    pub fn stopped(&self) {
        self.serving.store(false, Ordering::SeqCst);
    }

    /// `Ok(())` when ready (health SERVING), else the one-line reason.
    pub fn check(&self) -> Result<(), &'static str> {
        if !self.serving.load(Ordering::SeqCst) {
            return Err("not serving gRPC (starting, or stopped)");
        }
        if self.draining.load(Ordering::SeqCst) {
            return Err("draining: the node is shutting down");
        }
        if !self.database_up.load(Ordering::SeqCst) {
            return Err(
                "database: a write did not commit (see the node's log); ready again after a write probe commits",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_while_serving_with_a_committing_database_and_not_draining() {
        let readiness = Readiness::default();
        assert!(readiness.check().unwrap_err().starts_with("not serving"));
        readiness.publish(false, true);
        assert_eq!(readiness.check(), Ok(()));
        readiness.publish(false, false);
        assert!(readiness.check().unwrap_err().starts_with("database:"));
        readiness.publish(true, true);
        assert!(readiness.check().unwrap_err().starts_with("draining"));
        readiness.publish(false, true);
        readiness.stopped();
        assert!(readiness.check().is_err());
    }
}
