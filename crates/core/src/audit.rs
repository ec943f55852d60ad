//! The tamper-evident audit log: a hash chain over every change a node makes.
//!
//! Each [`AuditEntry`] records who changed what (actor, RPC, target) and
//! when, and carries the hash of the entry before it. Its own hash covers
//! every field — the sequence number and the previous hash included — in an
//! unambiguous encoding ([`AuditEntry::compute_hash`]), so editing any field
//! of any entry, deleting, reordering or inserting an entry breaks the chain
//! at that point, and [`ChainVerifier`] names the first entry where it breaks.
//!
//! What the chain alone cannot show is a cut tail: deleting the last `k`
//! entries leaves a shorter chain that is still valid. Against that an
//! operator records the head (`fengqiao audit head`, a [`ChainHead`]) somewhere
//! the node cannot write, and later verifies against it as an anchor: the
//! anchored entry must still be there with the same hash.
//!
//! A target names units, dates, case ids and counts only — never a
//! petitioner's name, phone or ID number.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

/// A SHA-256 digest of an entry.
pub type AuditHash = [u8; 32];

/// The `prev_hash` of the first entry.
pub const GENESIS: AuditHash = [0; 32];

/// Tags the encoding, so a hash of this format never equals one of another.
const DOMAIN: &[u8] = b"fengqiao.audit.v1";

/// A change to record, before it has a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When the change was made (kept to the microsecond, which both
    /// backends store exactly).
    pub at: DateTime<Utc>,
    /// Who made it: an identity URI (`fengqiao://person/…`), `insecure`
    /// for a plaintext node's caller, `node-internal:<task>` for the node's
    /// own actions, or `parent-node:<url>` for what the parent sent down.
    pub actor: String,
    /// What was called: a gRPC method path (`fengqiao.v1.CaseService/ActOnCase`,
    /// with `:<action>` where one RPC does several things) or
    /// `downlink/<kind>`.
    pub rpc: String,
    /// What it changed: unit ids, dates, case ids, counts.
    pub target: String,
}

impl AuditRecord {
    /// A record at `at`, truncated to the microsecond.
    pub fn new(
        at: DateTime<Utc>,
        actor: impl Into<String>,
        rpc: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        AuditRecord { at: at.trunc_subsecs(6), actor: actor.into(), rpc: rpc.into(), target: target.into() }
    }
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// 1 for the first entry, then one more per entry, without gaps.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub rpc: String,
    pub target: String,
    /// The hash of entry `seq - 1` ([`GENESIS`] for the first).
    pub prev_hash: AuditHash,
    /// The hash of this entry's fields ([`AuditEntry::compute_hash`]).
    pub hash: AuditHash,
}

impl AuditEntry {
    /// The entry that follows `head` (or starts the chain) with `record`.
    pub fn append(head: Option<&ChainHead>, record: AuditRecord) -> AuditEntry {
        let (seq, prev_hash) = match head {
            Some(head) => (head.seq + 1, head.hash),
            None => (1, GENESIS),
        };
        let mut entry = AuditEntry {
            seq,
            at: record.at.trunc_subsecs(6),
            actor: record.actor,
            rpc: record.rpc,
            target: record.target,
            prev_hash,
            hash: GENESIS,
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// SHA-256 over a domain tag and every field but `hash`: fixed-width
    /// fields big-endian (`seq` as u64, `at` as i64 microseconds since the
    /// epoch, `prev_hash` as 32 bytes) and each text as its u64 byte length
    /// followed by its UTF-8 bytes, so no two different entries encode alike.
    pub fn compute_hash(&self) -> AuditHash {
        let mut hasher = Sha256::new();
        put_bytes(&mut hasher, DOMAIN);
        hasher.update(self.seq.to_be_bytes());
        hasher.update(self.at.timestamp_micros().to_be_bytes());
        put_bytes(&mut hasher, self.actor.as_bytes());
        put_bytes(&mut hasher, self.rpc.as_bytes());
        put_bytes(&mut hasher, self.target.as_bytes());
        hasher.update(self.prev_hash);
        hasher.finalize().into()
    }

    /// This entry as the head of the chain.
    pub fn head(&self) -> ChainHead {
        ChainHead { seq: self.seq, hash: self.hash }
    }
}

fn put_bytes(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

/// The last entry of a chain, written `SEQ:HEX` — what an operator records
/// as an anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: u64,
    pub hash: AuditHash,
}

impl fmt::Display for ChainHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, hex::encode(self.hash))
    }
}

impl FromStr for ChainHead {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let expected = "expected SEQ:HASH as printed by `fengqiao audit head` (HASH: 64 hex digits)";
        let (seq, hash) = value.split_once(':').ok_or_else(|| format!("{value:?}: {expected}"))?;
        let seq: u64 = seq.parse().map_err(|_| format!("{value:?}: bad sequence number; {expected}"))?;
        if seq == 0 {
            return Err(format!("{value:?}: entries are numbered from 1"));
        }
        let mut digest = GENESIS;
        hex::decode_to_slice(hash, &mut digest).map_err(|_| format!("{value:?}: bad hash; {expected}"))?;
        Ok(ChainHead { seq, hash: digest })
    }
}

/// A chain that verified: how many entries, and its head (`None` when empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedChain {
    pub count: u64,
    pub head: Option<ChainHead>,
}

/// Where and why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {reason}")]
pub struct ChainBreak {
    /// The first entry that is not what the chain says it must be.
    pub seq: u64,
    pub reason: String,
}

/// Checks a chain one entry at a time, in stored order, so a log of any
/// length verifies in constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    anchor: Option<ChainHead>,
    anchor_seen: bool,
    last: Option<ChainHead>,
    count: u64,
}

impl ChainVerifier {
    /// A verifier for a chain from its first entry; with `anchor`, the chain
    /// must also still hold that entry with that hash.
    pub fn new(anchor: Option<ChainHead>) -> Self {
        ChainVerifier { anchor, anchor_seen: false, last: None, count: 0 }
    }

    /// Checks the next entry (entries come in ascending `seq` as stored).
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let (expected_seq, expected_prev) = match &self.last {
            Some(last) => (last.seq + 1, last.hash),
            None => (1, GENESIS),
        };
        let broken = |seq: u64, reason: String| Err(ChainBreak { seq, reason });
        if entry.seq > expected_seq {
            let missing = if entry.seq == expected_seq + 1 {
                format!("entry {expected_seq} is")
            } else {
                format!("entries {expected_seq} to {} are", entry.seq - 1)
            };
            return broken(
                expected_seq,
                format!("missing: {missing} not in the log, which goes on with entry {}", entry.seq),
            );
        }
        if entry.seq < expected_seq {
            return broken(
                entry.seq,
                format!("out of order: entry {} comes after entry {}", entry.seq, expected_seq - 1),
            );
        }
        if entry.compute_hash() != entry.hash {
            return broken(entry.seq, "edited: its hash does not match its contents".to_owned());
        }
        if entry.prev_hash != expected_prev {
            return broken(
                entry.seq,
                if entry.seq == 1 {
                    "replaced: the first entry does not start the chain".to_owned()
                } else {
                    format!(
                        "its previous hash is not the hash of entry {}: an entry before it was replaced or inserted",
                        entry.seq - 1
                    )
                },
            );
        }
        if let Some(anchor) = &self.anchor
            && anchor.seq == entry.seq
        {
            if anchor.hash != entry.hash {
                return broken(entry.seq, format!("does not match the anchor {anchor}"));
            }
            self.anchor_seen = true;
        }
        self.last = Some(entry.head());
        self.count += 1;
        Ok(())
    }

    /// Ends the walk: the chain verified, unless the anchor's entry is gone
    /// (the tail was cut).
    pub fn finish(self) -> Result<VerifiedChain, ChainBreak> {
        if let Some(anchor) = &self.anchor
            && !self.anchor_seen
        {
            let last = self.last.map_or(0, |head| head.seq);
            return Err(ChainBreak {
                seq: last + 1,
                reason: format!(
                    "missing: the log ends at entry {last}, but the anchor {anchor} names entry {}: its tail was cut",
                    anchor.seq
                ),
            });
        }
        Ok(VerifiedChain { count: self.count, head: self.last })
    }
}

/// Verifies a whole chain held in memory (see [`ChainVerifier`]).
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    anchor: Option<ChainHead>,
) -> Result<VerifiedChain, ChainBreak> {
    let mut verifier = ChainVerifier::new(anchor);
    for entry in entries {
        verifier.push(entry)?;
    }
    verifier.finish()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(second: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + second, 123_456_789).unwrap()
    }

    fn chain(records: impl IntoIterator<Item = AuditRecord>) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for record in records {
            let head = entries.last().map(AuditEntry::head);
            entries.push(AuditEntry::append(head.as_ref(), record));
        }
        entries
    }

    fn sample(n: usize) -> Vec<AuditEntry> {
        chain((0..n).map(|i| {
            AuditRecord::new(
                at(i as i64),
                "fengqiao://person/410411/leader/p7",
                "fengqiao.v1.CaseService/ActOnCase:accept",
                format!("case 410411-20261127-{i}"),
            )
        }))
    }

    #[test]
    fn a_fresh_chain_verifies_and_reports_its_head() {
        let entries = sample(5);
        let verified = verify(&entries, None).unwrap();
        assert_eq!(verified.count, 5);
        assert_eq!(verified.head, Some(entries[4].head()));
        assert_eq!(entries[0].prev_hash, GENESIS);
        assert_eq!(entries[3].prev_hash, entries[2].hash);
        assert_eq!(verify(&[], None).unwrap(), VerifiedChain { count: 0, head: None });
    }

    #[test]
    fn time_is_kept_to_the_microsecond() {
        let entry = &sample(1)[0];
        assert_eq!(entry.at.timestamp_subsec_nanos(), 123_456_000);
    }

    #[test]
    fn an_edited_field_breaks_the_chain_at_that_entry() {
        let entries = sample(5);
        let edits: [fn(&mut AuditEntry); 6] = [
            |e| e.target.push('x'),
            |e| e.actor = "insecure".into(),
            |e| e.rpc = "fengqiao.v1.CaseService/ActOnCase:close".into(),
            |e| e.at += chrono::Duration::microseconds(1),
            |e| e.hash[0] ^= 1,
            |e| e.prev_hash[31] ^= 1,
        ];
        for edit in edits {
            let mut tampered = entries.clone();
            edit(&mut tampered[2]);
            assert_eq!(verify(&tampered, None).unwrap_err().seq, 3);
        }
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let a = AuditEntry::append(None, AuditRecord::new(at(0), "ab", "c", "d"));
        let b = AuditEntry::append(None, AuditRecord::new(at(0), "a", "bc", "d"));
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut entries = sample(5);
        entries.remove(2);
        let broken = verify(&entries, None).unwrap_err();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("missing"), "{broken}");
        let mut first_gone = sample(3);
        first_gone.remove(0);
        assert_eq!(verify(&first_gone, None).unwrap_err().seq, 1);
    }

    #[test]
    fn a_forged_entry_with_a_recomputed_hash_breaks_the_next_link() {
        let mut entries = sample(5);
        let mut forged = entries[2].clone();
        forged.target = "case 410411-20261127-999".into();
        forged.hash = forged.compute_hash();
        entries[2] = forged;
        let broken = verify(&entries, None).unwrap_err();
        assert_eq!(broken.seq, 4);
        assert!(broken.reason.contains("previous hash"), "{broken}");
    }

    #[test]
    fn a_cut_tail_is_found_only_with_an_anchor() {
        let entries = sample(6);
        let anchor = entries[5].head();
        assert_eq!(verify(&entries[..6], Some(anchor)).unwrap().count, 6);
        assert!(verify(&entries[..4], None).is_ok());
        let broken = verify(&entries[..4], Some(anchor)).unwrap_err();
        assert_eq!(broken.seq, 5);
        assert!(broken.reason.contains("tail was cut"), "{broken}");
        // An older anchor still verifies a longer chain.
        assert!(verify(&entries, Some(entries[2].head())).is_ok());
        // A rewritten chain does not match the anchor's hash.
        let rewritten = chain(entries.iter().map(|e| {
            AuditRecord::new(e.at, e.actor.clone(), e.rpc.clone(), format!("{} rewritten", e.target))
        }));
        let broken = verify(&rewritten, Some(anchor)).unwrap_err();
        assert_eq!(broken.seq, 6);
        assert!(broken.reason.contains("anchor"), "{broken}");
    }

    #[test]
    fn heads_print_and_parse() {
        let head = sample(3)[2].head();
        let text = head.to_string();
        assert!(text.starts_with("3:") && text.len() == 2 + 64, "{text}");
        assert_eq!(text.parse::<ChainHead>().unwrap(), head);
        for bad in ["", "3", "x:00", "0:00", "3:abcd", &format!("3:{}", "z".repeat(64))] {
            assert!(bad.parse::<ChainHead>().is_err(), "{bad:?} parsed");
        }
    }

    fn records() -> impl Strategy<Value = Vec<AuditRecord>> {
        prop::collection::vec(
            (0i64..1_000_000, ".{0,12}", ".{0,12}", ".{0,24}")
                .prop_map(|(s, actor, rpc, target)| AuditRecord::new(at(s), actor, rpc, target)),
            2..40,
        )
    }

    proptest! {
        #[test]
        fn random_chains_verify(records in records()) {
            let entries = chain(records);
            let verified = verify(&entries, entries.last().map(AuditEntry::head)).unwrap();
            prop_assert_eq!(verified.count, entries.len() as u64);
        }

        #[test]
        fn any_edit_is_detected(records in records(), pick in any::<prop::sample::Index>(),
                                field in 0usize..6, extra in "[a-z]{1,4}") {
            let mut entries = chain(records);
            let i = pick.index(entries.len());
            let entry = &mut entries[i];
            match field {
                0 => entry.actor.push_str(&extra),
                1 => entry.rpc.push_str(&extra),
                2 => entry.target.push_str(&extra),
                3 => entry.at += chrono::Duration::seconds(1),
                4 => entry.hash[i % 32] ^= 0x80,
                _ => entry.prev_hash[i % 32] ^= 0x80,
            }
            let broken = verify(&entries, None).unwrap_err();
            prop_assert_eq!(broken.seq, i as u64 + 1);
        }

        #[test]
        fn any_deletion_is_detected(records in records(), pick in any::<prop::sample::Index>()) {
            let mut entries = chain(records);
            let anchor = entries.last().map(AuditEntry::head);
            let i = pick.index(entries.len());
            entries.remove(i);
            // The last entry's deletion shows only against an anchor.
            let broken = verify(&entries, anchor).unwrap_err();
            prop_assert_eq!(broken.seq, i as u64 + 1);
            if i < entries.len() {
                prop_assert!(verify(&entries, None).is_err());
            }
        }

        #[test]
        fn any_swap_is_detected(records in records(), a in any::<prop::sample::Index>(),
                                b in any::<prop::sample::Index>()) {
            let mut entries = chain(records);
            let (a, b) = (a.index(entries.len()), b.index(entries.len()));
            prop_assume!(a != b);
            entries.swap(a, b);
            let broken = verify(&entries, None).unwrap_err();
            prop_assert_eq!(broken.seq, a.min(b) as u64 + 1);
        }

        #[test]
        fn a_swap_renumbered_and_rehashed_still_breaks(records in records(),
                                                       a in any::<prop::sample::Index>()) {
            // An attacker who swaps two neighbours' contents and recomputes
            // their hashes (but cannot rewrite the rest) is caught at the
            // entry after them.
            let mut entries = chain(records);
            prop_assume!(entries.len() >= 3);
            let a = a.index(entries.len() - 2);
            let (first, second) = (entries[a].clone(), entries[a + 1].clone());
            prop_assume!((&first.actor, &first.rpc, &first.target, first.at)
                != (&second.actor, &second.rpc, &second.target, second.at));
            let prev = if a == 0 { None } else { Some(entries[a - 1].head()) };
            let record = |e: &AuditEntry| AuditRecord::new(e.at, e.actor.clone(), e.rpc.clone(), e.target.clone());
            entries[a] = AuditEntry::append(prev.as_ref(), record(&second));
            entries[a + 1] = AuditEntry::append(Some(&entries[a].head()), record(&first));
            let broken = verify(&entries, None).unwrap_err();
            prop_assert_eq!(broken.seq, a as u64 + 3);
        }
    }
}
