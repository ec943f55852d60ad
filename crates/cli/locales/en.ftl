# What a person reads from `fengqiao`, in English. Every key here is also in
# zh-CN.ftl (a test checks). Wire enums and --json keep their English
# identifiers; these are only for tables and text. In English the names of
# categories, outcomes, tiers and statuses are those identifiers, so what a
# person reads is what a script or a flag takes.

category-wage_arrears = wage_arrears
category-land = land
category-housing_property = housing_property
category-neighbour = neighbour
category-marriage_family = marriage_family
category-labour = labour
category-environment = environment
category-public_service = public_service
category-law_related = law_related
category-other = other

outcome-resolved_on_the_spot = resolved_on_the_spot
outcome-mediating = mediating
outcome-registered = registered
outcome-referred_up = referred_up

tier-district = district
tier-township = township
tier-community = community
tier-group = group

status-registered = registered
status-not_accepted = not_accepted
status-accepted = accepted
status-assigned = assigned
status-in_progress = in_progress
status-resolved = resolved
status-closed = closed
status-under_review = under_review

weekday-mon = Mon
weekday-tue = Tue
weekday-wed = Wed
weekday-thu = Thu
weekday-fri = Fri
weekday-sat = Sat
weekday-sun = Sun

heading-date = date
heading-unit = unit
heading-name = name
heading-revision = rev
heading-zero = zero
heading-disputes = disputes
heading-on-time = on time
heading-accepted = accepted
heading-case = case
heading-status = status
heading-owner = owner
heading-category = category
heading-channel = channel
heading-registered = registered
heading-due = due
heading-days-overdue = days overdue
heading-leader = leader
heading-repeat = repeat
heading-tier = tier
heading-reporting = reporting
heading-open = open
heading-closed = closed
heading-served-by = served by

word-reports = reports
word-always = always
word-this-node = this node
word-yes = yes
word-late = late
word-overdue = late
word-not-applicable = n/a
list-separator = {", "}

heading-rank = rank
heading-score = score
heading-complete = complete
heading-timely = on time
heading-resolved = resolved
heading-accepted-on-time = accepted on time
heading-closed-on-time = closed on time
heading-no-repeat = no repeat
heading-satisfied = satisfied
heading-missing = missing
heading-cases = cases
heading-overdue = overdue
heading-last-sync = last sync / arrived
heading-component = component
heading-part = part
heading-whole = whole
heading-value = value
heading-weight = weight
heading-parent = parent
heading-after-cutoff = after the cut-off
heading-week = week
heading-received-of-expected = received / expected
heading-completeness = completeness
heading-timeliness = timeliness
heading-zero-share = zero share

component-completeness = completeness
component-timeliness = timeliness
component-dispute_resolution = dispute_resolution
component-on_time_acceptance = on_time_acceptance
component-on_time_closure = on_time_closure
component-repeat_petitions = repeat_petitions
component-satisfaction = satisfaction

## summary
summary-range-period = { $from } to { $to }
summary-range-week = week { $week }, { $from } to { $to }
summary-nothing-due = no day of it is due yet
summary-counted-through = counted through { $date }
summary-header = { $name } ({ $unit }): { $range }, { $through }
summary-computed = computed at { $at } ({ $zone }); figures of { $percent } of the units below have arrived
summary-expected = expected
summary-received = received
summary-received-value = { $count } ({ $percent })
summary-on-time = on time
summary-on-time-value = { $count } ({ $percent } of expected)
summary-late = late
summary-missing = missing
summary-zero-reports = zero reports
summary-zero-value = { $count } ({ $percent } of received)
summary-disputes = disputes
summary-disputes-value = { $count } ({ $parties } parties)
summary-resolved-on-the-spot = resolved on the spot
summary-by-category = by category
summary-wage-arrears = wage arrears
summary-wage-value = { $disputes } disputes, { $resolved } resolved on the spot, { $workers } workers
summary-wage-amounts = claimed ¥{ $claimed }, recovered ¥{ $recovered }, { $employers ->
    [one] 1 distinct employer
   *[other] { $employers } distinct employers
}
summary-cases = cases
summary-cases-value = { $registered } registered ({ $repeat } repeat petitions), { $accepted } accepted ({ $accepted_on_time } on time), { $escalated } escalated, { $assigned } assigned down
summary-cases-closed = { $closed } closed ({ $on_time } on time), { $overdue } overdue at the end; satisfaction { $satisfaction }, one-visit { $one_visit } of { $visits } visits
summary-cases-provisional = case figures as of { $at }: the range has not ended, they can still move
summary-cases-final = case figures as of { $at }, the end of { $to }: each case as it stood then
summary-no-children = no units below it in this range
summary-scorecard-intro = scorecard by rank (责任追究): completeness first, then the score, the weighted mean of the
summary-scorecard-weights = components that apply (n/a: nothing to judge, left out); weights: { $weights }
summary-here = (here { $spans })
place-header = { $name } ({ $unit }): rank { $rank } of { $rows } in the scorecard of { $parent }
place-complete = complete: no report missing
place-incomplete = reports missing
place-score = score { $score } (the weighted mean of the components that apply; n/a: nothing to judge, left out); { $complete }
freshness-served-here = served here
freshness-never = never
freshness-arrived = arrived
freshness-not-yet = not yet

## missing, trend, export
missing-due = unit { $unit } on { $date }: { $expected } expected, { $received } received ({ $on_time } on time, { $late } late), { $missing } missing; cut-off was { $cutoff }
missing-not-due = unit { $unit } on { $date }: not due yet — the cut-off is { $cutoff }; { $received } of { $expected } expected reports so far, { $missing } outstanding
missing-list = missing:
missing-outstanding-list = outstanding:
missing-late-list = late:
missing-directly-under = directly under { $unit }
missing-group = { $group }: { $count } missing
trend-header = unit { $unit }, { $from } to { $to } (weeks not due yet show -)
export-stdout = standard output
export-written = { $count ->
    [one] 1 report
   *[other] { $count } reports
} of the subtree of { $unit } from { $from } to { $to } written to { $target }
export-count-changed = note: the node counted { $count } reports when the export began (reports arrived or changed meanwhile)

## reports, status, notices, health, report and zero
count-units = { $count ->
    [one] 1 unit
   *[other] { $count } units
}
reports-footer = { $count ->
    [one] 1 report
   *[other] { $count } reports
} in the subtree of { $unit } { $name } from { $from } to { $to }
status-node-of-unit = node of unit
status-node-of-unit-value = { $unit } { $name } ({ $count ->
    [one] 1 unit
   *[other] { $count } units
})
status-parent = parent
status-no-parent = none (root)
status-outbox = outbox
status-outbox-value = { $count ->
    [one] 1 item
   *[other] { $count } items
}, oldest { $oldest }
status-last-forwarded = last forwarded
status-last-error = last error
status-commit-queue = commit queue
status-downlink-cursor = downlink cursor
status-reporting-since = reporting since
status-no-start-date = no start date
status-set-aside = SET ASIDE
status-set-aside-value = { $count ->
    [one] 1 item
   *[other] { $count } items
} the parent refused (not forwarded; newest first)
heading-kind = kind
heading-unit-or-case = unit or case
heading-set-aside-at = set aside at
heading-parents-reason = the parent's reason
set-aside-report = report
set-aside-case_event = case_event
notice-issued = notice { $notice } issued to unit { $unit }
notice-line = { $at }  from { $from }  [{ $notice }]  { $text }
notices-footer = { $count ->
    [one] 1 notice
   *[other] { $count } notices
} for unit { $unit }
health-the-node = the node
word-on-time = on time
report-kind-daily = report
report-kind-zero = zero report
disposition-new = new
disposition-duplicate = duplicate (already stored, nothing changed)
disposition-correction = correction
disposition-unspecified = unspecified
report-accepted = accepted: unit { $unit } date { $date } revision { $revision } — { $disposition }, { $timing }

## errors: the command's own framing and next steps (causes from the node stay as sent)
error-prefix = error
error-node-answered = the node answered { $code }: { $message }
error-server-not-a-url = --server { $server } is not a URL (expected e.g. https://127.0.0.1:7400, or http:// for an --insecure node)
error-plaintext-with-certificates = the node at { $server } is plaintext (http://), but certificates are given (--ca/--cert/--key or FENGQIAO_CA/FENGQIAO_CERT/FENGQIAO_KEY): talk to it without them (env -u FENGQIAO_CA -u FENGQIAO_CERT -u FENGQIAO_KEY fengqiao …), or use https:// for a node that serves TLS
error-tls-needs-certificates = the node at { $server } is reached over TLS (https://), which needs the deployment CA, your certificate and key: { $ca }, { $cert } and { $key }; or use http:// for a plaintext (--insecure) node
error-node-is-plaintext = the node at { $server } does not speak TLS: it serves plaintext (started with --insecure); talk to it at { $plain } without certificates (env -u FENGQIAO_CA -u FENGQIAO_CERT -u FENGQIAO_KEY fengqiao …)
error-node-speaks-tls = the node at { $server } speaks TLS: use { $tls } with the deployment CA, your certificate and key ({ $ca }, { $cert }, { $key })
error-connection-refused = cannot reach the node at { $server }: { $cause }: is the node running, and is --server (or FENGQIAO_SERVER) its address?
error-cannot-reach = cannot reach the node at { $server }
error-no-answer-within = no answer from { $server } within { $seconds } s
error-health-not-serving = { $what } is { $status }

## cases
count-cases = { $count ->
    [one] 1 case
   *[other] { $count } cases
}
count-reports = { $count ->
    [one] 1 report
   *[other] { $count } reports
}
error-case-moved-on = { $refusal }; show the case again (`fengqiao case show`) and retry
event-line = event { $sequence } ({ $on }, unit { $unit }, { $actor }): { $kind }
event-note = ; note: { $note }
case-standing = case { $case }: status { $status } · owner { $owner } · deadline { $deadline }
case-standing-due = {" "}· next step due { $due }
case-standing-overdue = {" "}· { $days } days overdue
case-standing-elsewhere = {" "}· now written by the node serving { $owner }
case-registered = registered case { $case } at unit { $unit } ({ $channel }, { $category }); accept by { $accept_by }
case-registered-before = case { $case } was registered before with the same content; nothing changed
case-repeat-petition = repeat petition: { $repeat }
case-no-petitioner = (no petitioner's data: none was given, or the case is not held by this node)
case-events-footer = { $count ->
    [one] 1 event
   *[other] { $count } events
}; the newest is { $newest }
case-list-footer = { $count ->
    [one] 1 case
   *[other] { $count } cases
} in the subtree of { $unit }
case-list-more = {" "}(the first { $limit }; raise --limit for more)
heading-seq = seq
heading-actor = actor
heading-event = kind
heading-details = details
heading-note = note
heading-day = day
heading-leader-on-duty = leader on duty
field-case = case
field-status = status
field-owner = owner
field-owner-held-here = {" "}(held by this node)
field-owner-held-elsewhere = {" "}(held by another node)
field-origin = origin
field-channel = channel
field-category = category
field-summary = summary
field-from-report = from report
field-petitioner-ref = petitioner ref
field-petitioner = petitioner
field-workers = workers
field-amount-claimed = amount claimed
field-repeat-of = repeat of
field-registered = registered
field-accept-by = accept by
field-accepted-on = accepted on
field-not-accepted = not accepted
field-deadline = deadline
field-deadline-extended = { $deadline } (extended)
field-next-step-due = next step due
field-days-overdue = days overdue
field-leader = leader
field-responsible = responsible
field-plan = plan
field-resolution = resolution
field-recovered = recovered
field-resolved-on = resolved on
field-satisfaction = satisfaction
field-closed-on = closed on
field-review-by = review by
field-reviews = reviews
field-escalations = escalations
field-assigned-down = assigned down
field-reopened = reopened
field-supervision = supervision
field-sequence = sequence
field-updated = updated
supervision-not-answered = not answered
supervision-replied = replied { $on }
supervision-text = { $supervision } from { $from }, { $kind }, reply by { $reply_by }, received { $received }, { $answered }
repeat-of = of { $cases }
repeat-since = since { $since }
detail-registered = via { $channel }, accept by { $accept_by }
detail-from-report = , from report { $source }
detail-repeat-of = , repeat of { $cases }
detail-deadline = deadline { $deadline }
detail-reason = reason: { $reason }
detail-assigned = leader { $leader }, responsible { $responsible }, deadline { $deadline }; plan: { $plan }
detail-extended = +{ $days } days to { $deadline }; reason: { $reason }
detail-escalated = to { $unit }; reason: { $reason }
detail-assigned-down = to { $unit }, deadline { $deadline }
detail-recovered = , recovered { $amount } yuan
detail-resolved = { $timing }; resolution: { $resolution }
detail-reopened = deadline { $deadline }; reason: { $reason }
detail-review-requested = by { $unit }, decide by { $review_by }; reason: { $reason }
detail-reviewed = { $decision }, new deadline { $deadline }
detail-supervised = { $supervision } from { $from }, { $kind }, reply by { $reply_by }
detail-issued-by = , issued by { $sender }
detail-supervision-replied = to { $supervision }
detail-repeat-found = repeat of { $cases } (same petitioner_ref and category within { $days } days, since { $since })
roster-set-day = leader on duty at unit { $unit } on { $date }: { $leader } ({ $stored } stored)
roster-set-range = leader on duty at unit { $unit } from { $from } to { $to }: { $leader } ({ $stored } days stored)
roster-footer = unit { $unit } from { $from } to { $to }: { $unset } of { $days } days without a leader on duty
visit-answered = answered on the spot
visit-registered = registered for handling
visit-recorded = visit at unit { $unit } { $how }: case { $case }
visit-no-leader = leader on duty: none on the roster for { $date }
visit-leader = leader on duty: { $leader }
supervise-issued = supervision { $supervision } ({ $kind }) on case { $case } issued to unit { $unit }; reply by { $reply_by }
drill-nothing = nothing
drill-cases-and-reports = { $cases ->
    [one] 1 case
   *[other] { $cases } cases
} and { $reports ->
    [one] 1 report
   *[other] { $reports } reports
}
drill-footer = { $what } behind { $figure } of unit { $unit } from { $from } to { $to }
drill-missing-footer = { $count ->
    [one] 1 report
   *[other] { $count } reports
} missing for unit { $unit } from { $from } to { $to }

channel-report = report
channel-visit = visit
channel-letter = letter
channel-phone = phone
channel-online = online
satisfaction-satisfied = satisfied
satisfaction-dissatisfied = dissatisfied
satisfaction-unreachable = unreachable
supervision-document = document
supervision-interview = interview
supervision-on_site = on_site
supervision-joint = joint
review-upheld = upheld
review-overturned = overturned
event-unknown = unknown
event-registered = registered
event-accepted = accepted
event-not_accepted = not_accepted
event-assigned = assigned
event-progress = progress
event-extended = extended
event-escalated = escalated
event-assigned_down = assigned_down
event-resolved = resolved
event-closed = closed
event-reopened = reopened
event-review_requested = review_requested
event-reviewed = reviewed
event-supervised = supervised
event-supervision_replied = supervision_replied
event-repeat_found = repeat_found
role-reporter = reporter
role-officer = officer
role-leader = leader
role-admin = admin
role-auditor = auditor

## units, audit
units-node = node { $node }
units-matching = { $count ->
    [one] 1 unit
   *[other] { $count } units
} matching { $text }
units-every-level = every level
units-depth = depth { $depth }
units-footer = { $summary } in the subtree of { $unit } { $name } ({ $depth })
audit-no-head = none (the log is empty)
audit-verified = audit log verified: { $count } entries, head { $head }
audit-anchor-found = anchor { $anchor } found in the log
audit-does-not-verify = audit log does not verify: { $broken }
audit-empty = the audit log is empty

## demo: the figures a leader reads
heading-blank = {""}
heading-expected = expected
heading-received = received
heading-phase = phase
heading-seconds = seconds
heading-township = township
heading-cases-registered = registered
heading-cases-closed = closed
heading-on-time-closure = on-time closure
heading-repeat-rate = repeat rate
demo-all-days = all days
demo-by-day = { $name } ({ $unit }): daily reports by day, as the district node holds them
demo-by-township = by township, { $from } to { $to }
demo-corrections = { $count } reports carry a correction (revision > 1); zero reports count as received, never as missing
demo-total = total
demo-phases = demo phases:
demo-cases-by-township = by township (scorecard of the same summary; rank 责任追究: completeness, then the weighted score):

## next steps the command adds to an error
hint-start-postgresql = is PostgreSQL running and listening on { $host }:{ $port }? Start it, or correct database.url
hint-createdb = create it first: createdb -h { $host } -p { $port } -U { $user } { $database }
error-to-before-from = --to { $to } is before --from { $from }
error-week-or-range = give --week or --from/--to, not both

# Errors in what was asked (flags and values)
error-note-progress = --note must say what progress was made
error-reason-or-decide = give either --reason (request a review) or --decide (decide one)
error-note-reply = --note must say what was done in reply
error-from-report-channel = --from-report registers through channel report, not { $channel }
error-flag-required = { $flag } is required
error-date-or-range = give --date, or --from and --to
error-leader-required = --leader must name the leader on duty
error-flag-before = { $to_flag } { $to } is before { $from_flag } { $from }
error-range-too-long = { $from_flag } { $from } to { $to_flag } { $to } spans more than { $days } days
error-unknown-outcome = unknown outcome { $name }; one of { $names }
error-dispute-not-key-value = --dispute { $spec }: { $pair } is not key=value
error-expected-whole-number = { $key }={ $value }: expected a whole number
error-dispute-backslash = --dispute { $spec }: a backslash escapes a comma (\,) or a backslash (\\) only
error-cannot-write-output = cannot write the output: { $error }
error-no-summary = the node answered without a summary
error-verify-no-database = { $path } does not exist (verify opens an existing database)
error-verify-unit-not-in-tree = unit { $unit } of the database is not in { $path }
error-verify-no-tree = the database holds no unit tree; pass --tree FILE
error-verify-differences = { $count ->
    [one] { $count } difference remains
   *[other] { $count } differences remain
} after rebuilding the rollups
error-no-such-unit = the node holds no unit { $unit }

# Who acted (case events)
actor-person = { $role } { $id } at { $unit }
actor-named = { $who } ({ $name })
actor-node = node { $unit } ({ $task })
actor-unverified = { $text } (unverified)
actor-insecure-operator = insecure local operator (unverified)
actor-on-behalf = { $who } on behalf of { $principal }
node-task-auto_escalation = auto_escalation
node-task-repeat_detection = repeat_detection
node-task-supervision = supervision
