//! Answers bounded in bytes as well as count.
//!
//! A page of reports, cases or notices is read by count from the store, but
//! what it weighs on the wire depends on its items: one report may carry 200
//! disputes with 500-character summaries (about 450 KB), so a page of a
//! thousand ordinary reports or of sixty large ones is many megabytes, more
//! than clients accept. Every listing therefore takes items while the answer
//! stays within [`MAX_ANSWER_BYTES`] and hands out a page token for the
//! rest; a stream splits a page into as many messages as it needs. A page
//! always holds at least one item, so a listing always moves on (the
//! domain's limits keep every report and case far below the bound).

use fengqiao_core::{DomainError, why};
use prost::Message;

pub use fengqiao_proto::MAX_ANSWER_BYTES;

/// INVALID_ARGUMENT on `page_token`: not a token this service issued (a
/// listing's token that does not parse, or names nothing it lists).
pub fn foreign_token() -> DomainError {
    DomainError::invalid("page_token", why!(NOT_TOKEN_THIS_SERVICE_ISSUED, "not a token this service issued"))
}

/// The page size a listing asked for: `default` for 0, at most `max`
/// (INVALID_ARGUMENT naming `page_size` beyond it).
pub fn page_size(requested: u32, default: u32, max: u32) -> Result<u32, DomainError> {
    match requested {
        0 => Ok(default),
        n if n <= max => Ok(n),
        _ => {
            Err(DomainError::invalid("page_size", why!(MUST_BE_AT_MOST, "must be at most {max}", max = max)))
        }
    }
}

/// Room kept in every answer for its fields besides the paged list (a page
/// token, a total, a case and its petitioner).
pub const ENVELOPE_BYTES: usize = 16 * 1024;

/// What a paged list may weigh: the bound less the envelope.
pub const LIST_BUDGET: usize = MAX_ANSWER_BYTES - ENVELOPE_BYTES;

/// What one item adds to a message as an element of a repeated message
/// field: its tag (one byte for field numbers below 16), its length prefix
/// and itself.
pub fn item_bytes<T: Message>(item: &T) -> usize {
    let len = item.encoded_len();
    1 + prost::encoding::encoded_len_varint(len as u64) + len
}

/// How many items from the front of `items` fit in `budget` bytes: at least
/// one (when there is one), so that a listing always moves on.
pub fn fitting<T: Message>(items: &[T], budget: usize) -> usize {
    let mut used = 0;
    let mut taken = 0;
    for item in items {
        used += item_bytes(item);
        if taken > 0 && used > budget {
            break;
        }
        taken += 1;
    }
    taken
}

/// A page read with one item more than `limit` (to know whether more
/// follow), cut to what an answer may carry: at most `limit` items and
/// `budget` bytes. Returns the page and whether anything follows it.
pub fn page<T: Message>(mut items: Vec<T>, limit: usize, budget: usize) -> (Vec<T>, bool) {
    let taken = fitting(&items[..items.len().min(limit)], budget);
    let more = items.len() > taken;
    items.truncate(taken);
    (items, more)
}

/// `items` split into consecutive runs of at most `budget` bytes each (a
/// stream's messages), in order.
pub fn chunks<T: Message>(mut items: Vec<T>, budget: usize) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    while !items.is_empty() {
        let rest = items.split_off(fitting(&items, budget));
        out.push(std::mem::replace(&mut items, rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fengqiao_proto::pb;

    fn notice(text_len: usize) -> pb::ReceivedNotice {
        pb::ReceivedNotice {
            target_unit_id: "410411001".into(),
            notice: Some(pb::Notice {
                notice_id: "n".into(),
                from_unit_id: "410411".into(),
                text: "x".repeat(text_len),
                sender: None,
            }),
            created_at: None,
        }
    }

    #[test]
    fn an_item_costs_what_it_adds_to_the_message() {
        for len in [0, 10, 200, 20_000] {
            let one = pb::ListNoticesResponse { notices: vec![notice(len)], ..Default::default() };
            assert_eq!(one.encoded_len(), item_bytes(&one.notices[0]), "{len}");
        }
    }

    #[test]
    fn pages_stop_at_the_count_or_the_bytes_and_always_move_on() {
        let items: Vec<_> = (0..10).map(|_| notice(1000)).collect();
        let each = item_bytes(&items[0]);
        assert_eq!(page(items.clone(), 4, usize::MAX).0.len(), 4);
        let (taken, more) = page(items.clone(), 100, 3 * each + 1);
        assert_eq!((taken.len(), more), (3, true));
        let (taken, more) = page(items[..3].to_vec(), 100, 3 * each);
        assert_eq!((taken.len(), more), (3, false));
        // One item larger than the budget still makes a page of one.
        assert_eq!(page(vec![notice(5000), notice(1)], 100, 10).0.len(), 1);
        let runs = chunks(items, 3 * each);
        assert_eq!(runs.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3, 1]);
        for run in &runs {
            let message = pb::ListNoticesResponse { notices: run.clone(), ..Default::default() };
            assert!(message.encoded_len() <= 3 * each);
        }
        assert!(chunks(Vec::<pb::ReceivedNotice>::new(), 10).is_empty());
    }
}
