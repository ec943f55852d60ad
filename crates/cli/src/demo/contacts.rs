//! The demo's leaders' contact duties (包片): each township of the district
//! gets a district leader (`district-leader-N`, two townships each) from
//! the first day of the case history, set over the district node's
//! `ContactService` as its leader, so `fengqiao summary --leader` and the
//! dashboard's `/leaders` page have something to show.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use fengqiao_core::{Tier, UnitTree};
use fengqiao_proto::pb;
use fengqiao_proto::pb::contact_service_client::ContactServiceClient;
use tonic::transport::Channel;

/// How many townships each demo leader takes.
const TOWNSHIPS_PER_LEADER: usize = 2;

/// Sets the duties; returns the leaders, each with their townships.
pub(super) async fn assign_contact_leaders(
    tree: &UnitTree,
    district: Channel,
    from: NaiveDate,
) -> Result<Vec<(String, Vec<String>)>> {
    let root = tree.root_id().to_string();
    let townships: Vec<String> = tree
        .children(&root)
        .into_iter()
        .filter(|u| u.tier == Tier::Township)
        .map(|u| u.id.to_string())
        .collect();
    let mut client = ContactServiceClient::new(district);
    let mut leaders: Vec<(String, Vec<String>)> = Vec::new();
    for (i, township) in townships.iter().enumerate() {
        let leader = format!("district-leader-{}", i / TOWNSHIPS_PER_LEADER + 1);
        let duty = pb::ContactDuty {
            duty_id: format!("contact-{township}"),
            leader: leader.clone(),
            unit_id: township.clone(),
            from: from.to_string(),
            ..Default::default()
        };
        client
            .set_contact_duty(pb::SetContactDutyRequest { duty: Some(duty) })
            .await
            .with_context(|| format!("setting the contact duty of township {township}"))?;
        match leaders.last_mut() {
            Some((last, areas)) if *last == leader => areas.push(township.clone()),
            _ => leaders.push((leader, vec![township.clone()])),
        }
    }
    Ok(leaders)
}
