//! The case ledger's statements and the rekey's, inside a write
//! transaction ([`Ledger`]): the same text on both backends.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Dialect, Ledger};

impl<DB> crate::cases::LedgerWriter for Ledger<'_, DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'s> &'s str: sqlx::Encode<'s, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    Vec<u8>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'static str>: sqlx::Encode<'static, DB>,
    String: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: for<'q> sqlx::Encode<'q, DB>,
    NaiveDate: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<NaiveDate>: for<'q> sqlx::Encode<'q, DB>,
    DateTime<Utc>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (String, String, String, String): for<'r> sqlx::FromRow<'r, DB::Row>,
    (String, Vec<u8>): for<'r> sqlx::FromRow<'r, DB::Row>,
    (i64, String, Option<String>, Vec<u8>): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    async fn stored_body(&mut self, case_id: &str, seq: i64) -> Result<Option<String>, crate::StoreError> {
        Ok(sqlx::query_scalar("SELECT body FROM case_events WHERE case_id = $1 AND seq = $2")
            .bind(case_id)
            .bind(seq)
            .fetch_optional(&mut *self.0)
            .await?)
    }

    async fn insert_event(&mut self, row: &crate::cases::EventRow) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO case_events (case_id, seq, kind, unit_id, on_date, at, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.case_id)
        .bind(row.seq)
        .bind(row.kind)
        .bind(&row.unit_id)
        .bind(row.on_date)
        .bind(row.at)
        .bind(&row.body)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn queue_event(&mut self, row: &crate::cases::EventRow) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO outbox (kind, unit_id, item_date, revision, accepted_at) \
             VALUES ('case_event', $1, $2, $3, $4)",
        )
        .bind(&row.case_id)
        .bind(row.on_date)
        .bind(row.seq)
        .bind(row.at)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn event_bodies(&mut self, case_id: &str) -> Result<Vec<String>, crate::StoreError> {
        Ok(sqlx::query_scalar("SELECT body FROM case_events WHERE case_id = $1 ORDER BY seq")
            .bind(case_id)
            .fetch_all(&mut *self.0)
            .await?)
    }

    async fn projected_seq(&mut self, case_id: &str) -> Result<Option<i64>, crate::StoreError> {
        Ok(sqlx::query_scalar("SELECT seq FROM cases WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&mut *self.0)
            .await?)
    }

    async fn upsert_case(&mut self, row: &crate::cases::CaseRow) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO cases (case_id, origin_unit, owner_unit, status, category, channel, petitioner_ref, \
             repeat, registered_at, registered_on, accepted_on, due_date, resolved_on, closed_on, seq, body, \
             project_id, lead) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             ON CONFLICT (case_id) DO UPDATE SET origin_unit = excluded.origin_unit, \
             owner_unit = excluded.owner_unit, status = excluded.status, category = excluded.category, \
             channel = excluded.channel, petitioner_ref = excluded.petitioner_ref, repeat = excluded.repeat, \
             registered_at = excluded.registered_at, registered_on = excluded.registered_on, \
             accepted_on = excluded.accepted_on, due_date = excluded.due_date, \
             resolved_on = excluded.resolved_on, closed_on = excluded.closed_on, seq = excluded.seq, \
             body = excluded.body, project_id = excluded.project_id, lead = excluded.lead",
        )
        .bind(&row.case_id)
        .bind(&row.origin_unit)
        .bind(&row.owner_unit)
        .bind(row.status)
        .bind(row.category)
        .bind(row.channel)
        .bind(&row.petitioner_ref)
        .bind(row.repeat)
        .bind(row.registered_at)
        .bind(row.registered_on)
        .bind(row.accepted_on)
        .bind(row.due_date)
        .bind(row.resolved_on)
        .bind(row.closed_on)
        .bind(row.seq)
        .bind(&row.body)
        .bind(&row.project_id)
        .bind(&row.lead)
        .execute(&mut *self.0)
        .await?;
        // The working group's people, as the case now names them.
        sqlx::query("DELETE FROM case_group_members WHERE case_id = $1")
            .bind(&row.case_id)
            .execute(&mut *self.0)
            .await?;
        for member in &row.group {
            sqlx::query(
                "INSERT INTO case_group_members (case_id, person, unit_id, department_id, is_lead) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&row.case_id)
            .bind(&member.person)
            .bind(&member.unit_id)
            .bind(&member.department_id)
            .bind(member.is_lead)
            .execute(&mut *self.0)
            .await?;
        }
        Ok(())
    }

    async fn set_facts(
        &mut self,
        case_id: &str,
        seq: i64,
        facts: crate::cases::EventFacts,
    ) -> Result<(), crate::StoreError> {
        sqlx::query("UPDATE case_events SET on_time = $1, satisfaction = $2 WHERE case_id = $3 AND seq = $4")
            .bind(facts.on_time)
            .bind(facts.satisfaction.map(|s| s.as_str()))
            .bind(case_id)
            .bind(seq)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn store_petitioner(
        &mut self,
        case_id: &str,
        key_id: &str,
        sealed: &[u8],
    ) -> Result<(), crate::StoreError> {
        sqlx::query(
            "INSERT INTO case_petitioners (case_id, key_id, sealed) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed",
        )
        .bind(case_id)
        .bind(key_id)
        .bind(sealed.to_vec())
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn replace_due_spans(
        &mut self,
        case_id: &str,
        spans: &[fengqiao_core::case::DueSpan],
    ) -> Result<(), crate::StoreError> {
        sqlx::query("DELETE FROM case_due_spans WHERE case_id = $1")
            .bind(case_id)
            .execute(&mut *self.0)
            .await?;
        for span in spans {
            sqlx::query(
                "INSERT INTO case_due_spans (case_id, from_on, until_on, owner_unit, due_date) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(case_id)
            .bind(span.from)
            .bind(span.until)
            .bind(span.owner_unit.as_str())
            .bind(span.due)
            .execute(&mut *self.0)
            .await?;
        }
        Ok(())
    }

    async fn replace_case_departments(
        &mut self,
        case_id: &str,
        departments: &[(fengqiao_core::department::DepartmentId, bool)],
    ) -> Result<(), crate::StoreError> {
        sqlx::query("DELETE FROM case_departments WHERE case_id = $1")
            .bind(case_id)
            .execute(&mut *self.0)
            .await?;
        for (department, involved) in departments {
            sqlx::query(
                "INSERT INTO case_departments (department, case_id, unit_id, involved) VALUES ($1, $2, $3, $4)",
            )
            .bind(department.to_string())
            .bind(case_id)
            .bind(department.unit.as_str())
            .bind(*involved)
            .execute(&mut *self.0)
            .await?;
        }
        Ok(())
    }

    async fn case_ids(&mut self) -> Result<Vec<String>, crate::StoreError> {
        Ok(sqlx::query_scalar("SELECT case_id FROM cases ORDER BY case_id").fetch_all(&mut *self.0).await?)
    }

    async fn take_meta(&mut self, key: &str) -> Result<bool, crate::StoreError> {
        let done =
            sqlx::query("DELETE FROM node_meta WHERE key = $1").bind(key).execute(&mut *self.0).await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    fn keyring(&self) -> &crate::personal::Keyring {
        self.1
    }

    async fn add_digests(
        &mut self,
        topology: &crate::fanout::Topology,
        deltas: &[crate::digest::DigestDelta],
    ) -> Result<(), crate::StoreError> {
        DB::add_digests(&mut *self.0, topology, deltas).await
    }
    async fn plain_petitioners(
        &mut self,
    ) -> Result<Option<Vec<(String, String, String, String)>>, crate::StoreError> {
        let tables: i64 = sqlx::query_scalar(DB::PLAIN_PETITIONERS_EXIST).fetch_one(&mut *self.0).await?;
        if tables == 0 {
            return Ok(None);
        }
        Ok(Some(
            sqlx::query_as(
                "SELECT case_id, name, phone, id_number FROM case_petitioners_plain ORDER BY case_id",
            )
            .fetch_all(&mut *self.0)
            .await?,
        ))
    }

    async fn drop_plain_petitioners(&mut self) -> Result<(), crate::StoreError> {
        sqlx::query("DROP TABLE case_petitioners_plain").execute(&mut *self.0).await?;
        Ok(())
    }

    async fn petitioners_to_reseal(
        &mut self,
        current: &str,
        after: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, crate::StoreError> {
        Ok(sqlx::query_as(
            "SELECT case_id, sealed FROM case_petitioners WHERE key_id <> $1 AND case_id > $2 \
             ORDER BY case_id LIMIT $3",
        )
        .bind(current)
        .bind(after)
        .bind(crate::personal::REKEY_PAGE)
        .fetch_all(&mut *self.0)
        .await?)
    }

    async fn downlink_to_reseal(
        &mut self,
        current: &str,
        after: i64,
    ) -> Result<Vec<(i64, String, Option<String>, Vec<u8>)>, crate::StoreError> {
        Ok(sqlx::query_as(
            "SELECT sequence, target_unit_id, key_id, body FROM downlink_events \
             WHERE (key_id IS NULL OR key_id <> $1) AND sequence > $2 ORDER BY sequence LIMIT $3",
        )
        .bind(current)
        .bind(after)
        .bind(crate::personal::REKEY_PAGE)
        .fetch_all(&mut *self.0)
        .await?)
    }

    async fn put_downlink_body(
        &mut self,
        sequence: i64,
        key_id: &str,
        body: &[u8],
    ) -> Result<(), crate::StoreError> {
        sqlx::query("UPDATE downlink_events SET key_id = $1, body = $2 WHERE sequence = $3")
            .bind(key_id)
            .bind(body.to_vec())
            .bind(sequence)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }
}
