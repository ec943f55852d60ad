//! The commands, one module per command group, each holding its clap
//! arguments, the call to the node and the rendering of the answer:
//!
//! - [`node`] — `node`; [`config`] — `config print` (and the node's
//!   configuration itself); [`ca`] — `ca init`, `ca issue` (and the TLS
//!   flags of every client command); [`pii`] — `pii keygen`, `pii rekey`;
//!   [`tree`] — `tree generate`, `tree national`, `tree counts`;
//! - [`report`] — `report`, `zero`, `reports`; [`status`] — `status`,
//!   `health`; [`notice`] — `notice`, `notices`; [`units`] — `units`;
//! - [`summary`] — `summary`; [`missing`] — `missing`; [`trend`] — `trend`;
//!   [`export`] — `export`; [`drill`] — `drill`;
//! - [`case`] — `case …`; [`roster`] — `roster set`, `roster show`;
//!   [`visit`] — `visit`; [`supervise`] — `supervise`;
//! - [`weekly`] — `weekly file|withdraw|review|approve|return|unapprove|status|show`;
//!   [`accountability`] — `accountability record|list`; [`annual`] — `annual`;
//! - [`reconcile`] — `reconcile`; [`verify`] — `verify`; [`audit`] —
//!   `audit verify`, `audit list`, `audit head`;
//! - [`web`] — `web link` (a login link to the node's web dashboard);
//!   [`track`] — `track` (the petitioner's view on the public tracker).
//!
//! `demo` and `bench` are folders of their own ([`crate::demo`],
//! [`crate::bench`]); what commands share is in [`crate::connection`] (how
//! to reach a node) and [`crate::render`] (how values are shown).

pub mod accountability;
pub mod annual;
pub mod audit;
pub mod ca;
pub mod case;
pub mod config;
pub mod contact;
pub mod dept;
pub mod drill;
pub mod export;
pub mod missing;
pub mod node;
pub mod notice;
pub mod pii;
pub mod reconcile;
pub mod report;
pub mod roster;
pub mod status;
pub mod summary;
pub mod supervise;
pub mod track;
pub mod tree;
pub mod trend;
pub mod units;
pub mod verify;
pub mod visit;
pub mod web;
pub mod weekly;

#[cfg(test)]
mod tests;
