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

tier-nation = nation
tier-province = province
tier-city = city
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
error-verify-summary-node = { $unit } is a { $tier } node above the summary boundary: its rollups are its child nodes' states, not sums of reports it holds; verify at the district nodes, where the reports are
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

# Refusals from a node: the node sends a code (google.rpc.ErrorInfo.reason,
# domain "fengqiao") and the values its sentence names; the key is
# `refusal-` and the code in lower case with dashes. A value named status,
# action, category, outcome, tier or role arrives as an identifier and is
# shown through its own name (`status-accepted`, `action-assign`, …). A code
# this file lacks is shown in the node's English.
refusal-field = { $field }: { $reason }
role-node = node
action-accept = accept
action-decline = decline
action-assign = assign
action-progress = record progress on
action-extend = extend
action-escalate = escalate
action-assign_down = assign down
action-resolve = resolve
action-close = close
action-reopen = reopen
action-request_review = request a review of
action-decide_review = decide the review of
action-supervise = record supervision on
action-reply_supervision = reply to supervision on
action-flag_repeat = record a repeat petition on
code-cancelled = CANCELLED
code-unknown = UNKNOWN
code-invalid_argument = INVALID_ARGUMENT
code-deadline_exceeded = DEADLINE_EXCEEDED
code-not_found = NOT_FOUND
code-already_exists = ALREADY_EXISTS
code-permission_denied = PERMISSION_DENIED
code-resource_exhausted = RESOURCE_EXHAUSTED
code-failed_precondition = FAILED_PRECONDITION
code-aborted = ABORTED
code-out_of_range = OUT_OF_RANGE
code-unimplemented = UNIMPLEMENTED
code-internal = INTERNAL
code-unavailable = UNAVAILABLE
code-data_loss = DATA_LOSS
code-unauthenticated = UNAUTHENTICATED

# crates/core/src/error.rs
refusal-first-revision-not-one = no report is stored for this unit and date yet, so revision { $submitted } cannot be taken: the first revision is 1
refusal-revision-conflict = revision { $revision } is already stored with different content; submit a higher revision to correct it
refusal-stale-revision = revision { $submitted } is older than the stored revision { $current }

# crates/core/src/actor.rs
refusal-actor-not-caller = { $field } must be the caller's own person id or left empty: the actor is taken from the client certificate ({ $identity }); to record a decision somebody else made, name them in on_behalf_of
refusal-must-be-at-most-characters = must be at most { $max } characters
refusal-must-not-be-empty = must not be empty
refusal-must-not-contain-control-characters = must not contain control characters
refusal-names-caller-leave-on-behalf-empty = names the caller: leave on_behalf_of empty to act as yourself
refusal-node-does-not-act-as-person = a node ({ $identity }) does not act as a person

# crates/core/src/assessment.rs
refusal-at-least-one-weight-must-be = at least one weight must be above 0
refusal-must-be-at-most = must be at most { $max }

# crates/core/src/authz.rs
refusal-caller-s-unit-not-in-tree = the caller's unit { $unit } is not in the tree of this node (home { $home }): call the node of your own tier
refusal-for-child-nodes-not-one = { $rpc } is for child nodes of { $home }, and { $unit } is not one
refusal-may-not-call = { $who } may not call { $rpc }
refusal-needs-target-unit = { $rpc } needs a target unit
refusal-outside-scope = { $who } at { $unit } may call { $rpc } only on { $reach }; { $target_unit } is { $it }
refusal-unit-not-in-tree-this-node = { $rpc }: unit "{ $target_unit }" is not in the tree of this node (home { $home })

# crates/core/src/case.rs
refusal-after-today = { $date } is after today ({ $today })
refusal-review-needs-dissatisfaction = cannot { $verb } case { $id }: it is { $status } and the petitioner was not recorded as dissatisfied
refusal-cannot-escalate-case-at-which-has = cannot escalate case { $id }: it is { $status } at { $owner_unit }, which has no parent tier
refusal-cannot-extend-case-was-already-extended = cannot extend case { $id }: it is { $status } and was already extended once
refusal-cannot-request-review-case-at-which = cannot request a review of case { $id }: it is { $status } at { $owner_unit }, which has no parent tier
refusal-cannot-request-review-case-was-already = cannot request a review of case { $id }: it is { $status } and was already reviewed { $reviews } times
refusal-case-action-not-allowed = cannot { $verb } case { $id }: it is { $status }
refusal-case-already-records-every-repeat-link = case { $id } already records every repeat link found
refusal-case-already-registered = case { $id } is already registered
refusal-case-does-not-repeat-itself = a case does not repeat itself
refusal-case-has-at-least-one-event = a case has at least one event
refusal-case-has-been-overdue-since-here = case { $id } has been overdue since { $deadline } here; extend it or escalate it
refusal-case-has-no-supervision = case { $id } has no supervision { $supervision_id }
refusal-case-must-first-be-accepted = cannot { $verb } case { $id }: it is { $status }; it must first be accepted (`fengqiao case accept { $id }`)
refusal-case-must-first-be-accepted-and-assigned = cannot { $verb } case { $id }: it is { $status }; it must first be accepted (`fengqiao case accept { $id }`), then assigned a leader and a plan (`fengqiao case assign { $id } --leader ID --responsible NAME --plan TEXT`)
refusal-case-must-first-be-assigned = cannot { $verb } case { $id }: it is { $status }; it must first be assigned a leader and a plan (`fengqiao case assign { $id } --leader ID --responsible NAME --plan TEXT`)
refusal-case-must-first-be-closed = cannot { $verb } case { $id }: it is { $status }; it must first be closed (`fengqiao case close { $id } …`)
refusal-case-s-first-event-registration = a case's first event is its registration
refusal-case-was-already-extended = case { $id } was already extended
refusal-check-digit-resident-identity-number-wrong = the check digit of the resident identity number is wrong
refusal-deadline-falls-past-end-calendar = the deadline falls past the end of the calendar
refusal-event-1-must-be-registration = event 1 must be the registration
refusal-event-applied = event of { $case_id } applied to { $id }
refusal-event-cannot-follow-case = event { $seq } ({ $event }) cannot follow: case { $id } is { $status }
refusal-event-does-not-follow = case { $id } is at event { $seq }; event { $event } does not follow
refusal-in-the-future = { $at } is in the future: this node's clock reads { $now }, allowing { $skew } s of skew
refusal-must-be-64-lower-case-hex = must be 64 lower-case hex digits (HMAC-SHA256)
refusal-must-be-6-32-letters-digits = must be 6 to 32 letters and digits
refusal-must-be-at-least-1 = must be at least 1
refusal-must-be-at-most-32-digits = must be at most 32 digits, spaces, + - ( )
refusal-must-be-between-1 = must be between 1 and { $max_extension_days }
refusal-must-be-between-1-366 = must be between 1 and 366
refusal-must-lie-between-today-case-s = must lie between today ({ $on }) and the case's deadline { $limit }; extend the case for more
refusal-must-say-what-progress-was-made = must say what progress was made
refusal-names-at-least-one-case = names at least one case
refusal-only-case-channel-report-names-dispute = only a case of channel report names a dispute
refusal-overturned-review-sets-new-deadline-upheld = an overturned review sets a new deadline; an upheld one none
refusal-registration-event-1 = a registration is event 1
refusal-reply-must-say-what-was-done = the reply must say what was done
refusal-supervision-already-recorded-on-case = supervision { $supervision_id } is already recorded on case { $id }
refusal-supervision-on-case-was-already-answered = supervision { $supervision_id } on case { $id } was already answered
refusal-too-large = too large
refusal-unit-not-below-case-s-owner = unit { $to } is not below the case's owner { $owner_unit }

# crates/core/src/identity.rs
refusal-must-be-node-person = must be { $scheme }node/{"{"}unit{"}"} or { $scheme }person/{"{"}unit{"}"}/{"{"}role{"}"}/{"{"}person{"}"}
refusal-must-start-with = must start with { $scheme }
refusal-person-id-may-hold-only-letters = person id may hold only letters, digits, '-', '_' and '.'
refusal-person-id-must-be-1-characters = person id must be 1–{ $max } characters
refusal-unknown-role-expected-reporter-officer-leader = unknown role "{ $role }": expected reporter, officer, leader, admin or auditor

# crates/core/src/report.rs
refusal-after-accepted-at = { $first_accepted_at } is after accepted_at { $accepted_at }
refusal-appears-twice-in-report = appears twice in the report
refusal-at-most-disputes-per-report = at most { $max } disputes per report
refusal-before-began-no-report-accepted-before = { $first_accepted_at } is before { $date } began ({ $day_began }): no report is accepted before its day
refusal-before-reporting-started-on-reporting-start = { $date } is before reporting started on { $start } (reporting.start_date)
refusal-correction-revision-1-needs-reason = a correction (revision > 1) needs a reason
refusal-differs-from-accepted-at-revision-1 = { $first_accepted_at } differs from accepted_at { $accepted_at } of revision 1, which is the first acceptance: back-dated
refusal-may-hold-only-printable-ascii-without = may hold only printable ASCII without spaces
refusal-must-be-at-most-fen = must be at most { $max } fen
refusal-must-not-be-negative = must not be negative
refusal-must-not-exceed-amount-claimed-cents = must not exceed amount_claimed_cents
refusal-only-dispute-registered-as-case-names = only a dispute registered as a case names one
refusal-only-for-wage-arrears-disputes = is only for wage-arrears disputes
refusal-report-without-disputes-must-be-sent = a report without disputes must be sent as a zero report
refusal-required-for-wage-arrears-dispute = is required for a wage-arrears dispute
refusal-revision-1-not-correction-leave-empty = revision 1 is not a correction; leave it empty
refusal-stored-disputes-unreadable = stored disputes unreadable: { $error }
refusal-unit-closed-after-before = unit { $unit } closed after { $to }, before { $date }
refusal-unit-does-not-file-daily-reports = unit { $unit } does not file daily reports
refusal-unit-opened-on-after = unit { $unit } opened on { $from }, after { $date }
refusal-zero-report-carries-no-disputes = a zero report carries no disputes

# crates/core/src/screen.rs
refusal-must-not-hold-personal-data-found = must not hold personal data, found { $found }; a petitioner's particulars go only in the case's petitioner fields

# crates/core/src/time.rs
refusal-must-not-be-empty-expected-yyyy = must not be empty (expected YYYY-MM-DD)
refusal-not-date-expected-yyyy-mm-dd = "{ $value }" is not a date (expected YYYY-MM-DD)
refusal-not-iana-time-zone = "{ $zone }" is not an IANA time zone
refusal-not-iso-week-expected-e-g = "{ $value }" is not an ISO week (expected e.g. 2026-W48)
refusal-not-time-expected-hh-mm = "{ $cutoff }" is not a time (expected HH:MM)

# crates/core/src/unit.rs
refusal-before-active-from = { $to } is before active_from { $from }
refusal-expected-parent-yyyy-mm-dd = "{ $entry }": expected PARENT@YYYY-MM-DD
refusal-has-no-root-unit-without-parent = has no root (a unit without a parent)
refusal-may-hold-only-letters-digits = may hold only letters, digits, '-', '_' and '.'
refusal-must-be-1-characters = must be 1 to { $max } characters
refusal-must-be-district-township-community-group = must be district, township, community or group
refusal-must-be-in-date-order-one = must be in date order, one move a day at most
refusal-must-be-true-false = must be true or false
refusal-some-units-are-not-connected-root = some units are not connected to the root
refusal-tree-row-unreadable = { $error }
refusal-two-roots = two roots: { $unit } and { $other }
refusal-unit-appears-twice = unit { $unit } appears twice
refusal-unit-cannot-have-sat-under = unit { $unit } cannot have sat under { $from_parent }
refusal-unit-cannot-sit-under = unit { $unit } ({ $tier }) cannot sit under { $parent } ({ $parent_tier })
refusal-unit-moved-from-which-not-in = unit { $unit } moved from { $from_parent }, which is not in the tree
refusal-unit-names-parent-which-not-in = unit { $unit } names parent { $parent_id }, which is not in the tree

# crates/node/src/authz.rs
refusal-node-pushes-only-as-itself = a node pushes only as itself: { $unit } may not push as "{ $sender }"

# crates/node/src/caller.rs
refusal-caller-not-identified = the caller is not identified: present a client certificate

# crates/node/src/cases.rs
refusal-at-most-per-request = at most { $max } per request
refusal-case-already-registered-with-other-content = case { $id } is already registered with other content
refusal-case-at-event-not-reload-decide = case { $id } is at event { $seq }, not { $expected_sequence }: reload it and decide again
refusal-case-held-above = case { $case } is { $status } and owned by unit { $owner }, which an upper tier's node holds; act there
refusal-case-held-below = case { $case } is { $status } and owned by unit { $owner }, which the node of unit { $node_unit } holds; act there
refusal-case-not-in-this-node-s = case { $id } is not in this node's ledger
refusal-case-owned-by-unit-supervision-goes = case { $id } is { $status } and owned by unit { $owner }: supervision goes to cases owned below { $home }
refusal-computed-by-node-from-petitioner-id = is computed by the node from petitioner.id_number; leave it empty
refusal-dispute-unit-on-not-registered-as = dispute "{ $local_id }" of unit { $source_unit } on { $date } is { $outcome }, not registered as a case
refusal-event-was-not-stored = the event was not stored
refusal-must-be-on-after-from-date = must be on or after from_date, at most { $max } days
refusal-must-be-set = must be set
refusal-must-name-dispute = must name the dispute
refusal-must-not-be-in-past = must not be in the past
refusal-not-in-subtree-origin-unit = { $source_unit } is not in the subtree of the origin unit { $origin }
refusal-not-token-this-node-gave-out = is not a token this node gave out
refusal-no-report-unit-for-stored-here = no report of unit { $source_unit } for { $date } is stored here
refusal-report-unit-for-has-no-dispute = the report of unit { $source_unit } for { $date } has no dispute "{ $local_id }"

# crates/node/src/downlink.rs
refusal-beyond-newest-event-was-this-parent = { $after } is beyond the newest event { $head }; was this parent's database replaced?
refusal-parent-does-not-list-as-child = the parent does not list { $home } as a child node: { $message }
refusal-parent-url-unusable = { $error }
refusal-unit-not-child-node = unit "{ $unit }" is not a child node of { $home_unit }

# crates/node/src/figures.rs
refusal-no-scorecard-this-node-ranks-unit = no scorecard of this node ranks unit { $unit } from { $from } to { $to }: it has no unit above it here
refusal-unit-has-no-row-in-scorecard = unit { $unit } has no row in the scorecard of { $parent } from { $from } to { $to }: no day of the range on which it was below { $parent } is due yet
refusal-unit-not-served-by-this-node = unit { $unit } is not served by this node
refusal-unit-ranked-in-scorecard-which-this = unit { $unit } is ranked in the scorecard of { $parent }, which this node does not hold: ask the node serving { $parent }
refusal-unknown-figure = "{ $figure }" is not one of { $figures }

# crates/node/src/lib.rs
refusal-home-unit-not-in-unit-tree = home unit { $home_unit } is not in the unit tree
refusal-not-unit-below = { $unit } is not a unit below { $home }
refusal-tree-rooted-elsewhere = is rooted at { $root }, not at { $home }

# crates/node/src/limits.rs
refusal-overloaded-in-flight = the node is overloaded ({ $calls } calls in progress): retry later
refusal-rate-limited = rate limit of { $rate } calls per second exceeded for this caller: retry in { $wait_ms } ms

# crates/node/src/node_status.rs
refusal-at-most = at most { $max }
refusal-notice-goes-unit-below-this-node = a notice goes to a unit below this node
refusal-not-token-this-service-issued = not a token this service issued

# crates/node/src/reconcile.rs
refusal-ask-for-reports-case-events-both = ask for reports, case events or both
refusal-must-be-sender-s-unit = must be the sender's unit
refusal-must-be-total-week-day = must be TOTAL, WEEK or DAY
refusal-must-not-be-before-from-date = must not be before from_date
refusal-name-child-nodes = name child nodes, all_children or with_parent
refusal-node-has-no-parent-reconcile-with = node { $home_unit } has no parent to reconcile with
refusal-not-child-node = { $unit } is not a child node of { $home_unit }
refusal-not-token-this-node-gave = not a token this node gave
refusal-no-child-nodes = this node has no child nodes

# crates/node/src/reporting.rs
refusal-at-most-days-per-query = at most { $max } days per query
refusal-before-from-date = { $to } is before from_date { $from }
refusal-no-report-from-unit = no report from unit { $unit } for { $date }
refusal-no-revision-of-report = no revision { $revision } of the report from unit { $unit } for { $date }

# crates/node/src/status.rs
refusal-database-unavailable = database unavailable; nothing was changed, retry later
refusal-delegated = unit { $unit } is served by the node of unit { $node_unit }; submit there
refusal-internal-storage-error = internal storage error; nothing was changed, retry later
refusal-overloaded = node overloaded; retry with backoff
refusal-personal-data-unreadable = { $error }; check the node's personal-data keys
refusal-shutting-down = node is shutting down; retry later

# crates/node/src/summary.rs
refusal-at-most-weeks = at most { $max } weeks
refusal-before-first-day = { $to } is before the first day { $from }
refusal-before-from-week = { $to } is before from_week { $from }
refusal-range-spans-at-most-days = a range spans at most { $max } days

# crates/node/src/tls.rs
refusal-no-client-certificate = no client certificate was presented
refusal-certificate-refused = the client certificate is refused: { $reason }

# crates/node/src/uplink.rs
refusal-at-most-items-per-batch = at most { $max } items per batch
refusal-case-was-written-by-unit-which = { $path }: case { $case_id } was written by unit { $unit }, which is not in the subtree of sender { $sender }
refusal-unit-not-in-subtree-sender = { $path }: unit { $unit } is not in the subtree of sender { $sender }

# crates/proto/src/case.rs
refusal-repeat-link-names-at-least-one = a repeat link names at least one earlier case
refusal-set-on-case-without-resolved-on = set on a case without resolved_on

# crates/proto/src/enums.rs
refusal-unknown-value = unknown value { $value }

# crates/proto/src/reconcile.rs
refusal-at-most-2000-characters = at most 2000 characters
refusal-at-most-64-bytes = at most 64 bytes
refusal-at-most-conflicts = at most { $max_reported_conflicts } conflicts
refusal-must-be-32-bytes-not = must be 32 bytes, not { $len }
refusal-unknown-kind = unknown kind { $kind }
refusal-unknown-trigger = unknown trigger { $value }

# crates/proto/src/report.rs
refusal-at-most-disputes-per-report-got = at most { $max } disputes per report, got { $len }

# crates/proto/src/scalars.rs
refusal-nanos-outside-0-999999999 = nanos { $nanos } is outside 0..=999999999
refusal-seconds-out-range = seconds { $seconds } is out of range

# crates/store/src/cases.rs
refusal-event-case-stored-with-other-content = event { $seq } of case { $case_id } is stored with other content

# crates/store/src/plan.rs
refusal-earlier-than-first-acceptance-held-here = { $claimed } is earlier than the first acceptance held here for { $unit }@{ $date } ({ $first_accepted_at }): back-dated

# crates/proto/src/codec.rs
refusal-request-does-not-decode = the request does not decode: { $reason }

## The web dashboard (crates/node/src/web)
web-product = Fengqiao dispute screening
web-skip-to-content = Skip to content
web-account = Account
web-logout = Log out
web-language-name = English
web-back-home = Back to the start page
web-held-below-title = Detail held by the nodes below
web-held-below = This node only sums up the units below: the detail is held by { $nodes }.
web-held-below-node = the node of { $name } ({ $unit })
web-held-below-no-node = the nodes below
web-held-below-figures = The figures of this unit, held here
web-refused-title = Cannot show this
web-login-refused-title = Login link refused
web-login-used = This login link was used before. A link works once: issue a new one on the node's host with fengqiao web link.
web-login-expired = This login link has expired. Issue a new one on the node's host with fengqiao web link.
web-login-unknown = No such login link (mistyped, or from another node).
web-login-title = Log in
web-login-explain = Open a login link issued on this node's host (valid for 15 minutes, once):
web-login-certificate = People with the deployment's certificate installed in their browser are logged in by it when they open this page over HTTPS.
web-csrf-refused = The form lacks its anti-forgery (CSRF) token; nothing was changed. Open the page again and submit from it.
web-not-found-title = Not found
web-not-found = There is no such page.
web-breadcrumb = Where you are
web-week-switch = Change the week
web-previous-week = ‹ Previous week
web-next-week = Next week ›
web-week-range = week { $week } ({ $from } to { $to })
web-freshness = Figures of { $percent } of the units below have arrived, as of { $at }
web-nothing-due = No day of this week is due yet.
web-reporting = Daily reports
web-expected = Expected
web-received = Received
web-completeness = Completeness
web-on-time = On time
web-timeliness = Timeliness
web-late = Late
web-zero-reports = Zero reports
web-missing = Missing
web-disputes = Disputes
web-disputes-found = Found
web-parties = People involved
web-resolved-on-the-spot = Resolved on the spot
web-wage-arrears = Wage arrears
web-wage-disputes = Wage disputes
web-wage-workers = Workers
web-wage-claimed = Claimed (yuan)
web-wage-recovered = Recovered (yuan)
web-wage-employers = Employers
web-cases = Cases
web-cases-registered = Registered
web-cases-accepted-on-time = Accepted on time
web-cases-closed = Closed
web-cases-closed-on-time = Closed on time
web-cases-overdue = Overdue
web-cases-repeat = Repeat petitions
web-cases-satisfaction = Satisfaction
web-cases-provisional = Case figures as of { $at } (the week is still running)
web-cases-final = Case figures as of the end of { $to }
web-by-category = By category
web-trend = The last 12 weeks
web-axis-percent = percent
web-axis-count = count
web-scorecard = The units below, ranked
web-no-children = This unit has no units below it.
web-scorecard-weights = Weights:
web-link-issued = Login link (valid until { $expires }, once):
web-link-no-listen = this node has no web.listen: set it in the configuration first (e.g. web.listen = "127.0.0.1:7480") and restart the node
web-nav = Pages of this unit
web-nav-overview = Overview
web-nav-cases = Case ledger
web-nav-missing = Missing and late
web-filter-any = any
web-filter-overdue = overdue only
web-filter-repeat = repeat petitions only
web-filter-apply = Show
web-filter-as-of = Overdue as of (empty: today)
web-ledger = Cases
web-ledger-more = Only the first 500 cases are shown; narrow the filters to see the rest.
web-ledger-empty = No case matches.
web-overdue-cases-link = Overdue cases
web-case-fields = The case
web-case-timeline = What was done, by whom
web-case-act = Act on the case
web-act-days = days
web-act-reason = reason
web-act-recovered = Amount recovered (yuan, optional)
web-act-to-unit = to unit (id)
web-reply-by = reply by
web-supervision-id = notice
field-petitioner-name = name
field-petitioner-phone = phone
field-petitioner-id = ID number
web-day-switch = Change the day
web-previous-day = ‹ Previous day
web-next-day = Next day ›
web-outstanding = Outstanding
web-none-missing = Every expected report has arrived.
web-nav-units = Units
web-units-search = Name or id
web-nav-calendar = Reporting calendar
web-calendar-week = This week
web-calendar-total = Total
web-calendar-legend = Legend
web-calendar-live = Each cell is what the child's units reported that day (a zero report is received, not missing). At today's cut-off ({ $cutoff }) this page updates itself, no reload needed.
web-calendar-reported = Reported
web-calendar-zero = Zero report
web-calendar-late = Late
web-calendar-missing = Missing
web-calendar-outstanding-until = Outstanding until { $cutoff }
web-calendar-not-expected = Not expected
web-calendar-future = Not yet
web-calendar-detail = { $expected } expected, { $received } received ({ $zero } zero, { $late } late), { $missing } not received
demo-web-links = The web dashboard (open in a browser; each link works once, within { $minutes } minutes):
demo-web-district = district leader ({ $unit }): { $url }
demo-web-township = township admin ({ $unit }): { $url }
web-nav-wages = Wage arrears
web-bad-year = A year is four digits, not after this year: { $year }
web-year-switch = Change year
web-previous-year = ‹ Previous year
web-next-year = Next year ›
web-year-range = { $year } ({ $from } to { $to })
web-wages-year = The year's totals
web-wage-resolved = Resolved on the spot
web-wages-chart = Claimed and recovered by month
web-axis-yuan = yuan
web-axis-workers = workers
web-wages-by-month = By month
web-wages-no-months = This year has not begun.
heading-month = Month
web-wages-employers-note = A month's employers are counted once within that month: an employer with disputes in several months counts in each, so the months may add up to more than the year. Every other column adds up to the year's total.
web-wages-by-child = By subordinate unit
web-wages-children-note = Employers are counted, without repeats, for the totals only, not per subordinate unit.
web-download-csv = Download CSV
web-download-range = Every report from { $from } to { $to } (opens in Excel and WPS)
web-week-or-range = Give week, or from and to, not both

# Weekly resolution work reports, accountability, the annual report (web dashboard)
web-nav-weekly = Weekly reports
web-nav-accountability = Accountability
web-nav-annual = Annual report
web-weekly-state-not_filed = Not filed
weekly-state-not_filed = not filed
web-weekly-state-overdue = Overdue
weekly-state-overdue = overdue
web-weekly-state-filed = Filed, awaiting review
weekly-state-filed = filed, awaiting review
web-weekly-state-withdrawn = Withdrawn
weekly-state-withdrawn = withdrawn
web-weekly-state-returned = Returned
weekly-state-returned = returned
web-weekly-state-approved = Approved
weekly-state-approved = approved
web-weekly-state-unapproved = Approval taken back
weekly-state-unapproved = unapproved
web-weekly-step-filed = Filed
weekly-step-filed = filed
web-weekly-step-withdrawn = Withdrawn
weekly-step-withdrawn = withdrawn
web-weekly-step-returned = Returned
weekly-step-returned = returned
web-weekly-step-approved = Approved
weekly-step-approved = approved
web-weekly-step-unapproved = Approval taken back
weekly-step-unapproved = unapproved
weekly-action-approve = Approve
weekly-action-return = Return for changes
weekly-action-unapprove = Take approval back
web-accountability-criticism = Circulated criticism
accountability-criticism = criticism
web-accountability-admonition = Admonishing talk
accountability-admonition = admonition
web-accountability-commendation = Commendation
accountability-commendation = commendation
web-weekly-board = Weekly reports: filing and review
web-weekly-counts = Child nodes' reports
web-weekly-children = Child nodes
web-weekly-filed = Filed
web-weekly-approved = Approved
web-weekly-returned = Returned
web-weekly-late = Late
web-weekly-not-filed = Not filed
web-weekly-held = Daily reports held
web-weekly-reports = The unit's and its child nodes' weekly reports
web-weekly-late-flag = Late
web-weekly-first-filed = First filed
web-weekly-filing = Filing
web-weekly-document = Report
web-weekly-review = Review
web-weekly-own = this unit
web-weekly-open = Open
web-weekly-comments = Comments
web-weekly-no-child-nodes = This node has no child nodes: only the unit's own weekly report.
web-weekly-held-title = Daily reports held while the week stands approved
web-weekly-none-held = No daily report is held.
web-weekly-locked-by = Locked by
web-weekly-held-at = Held at
web-weekly-document-title = Weekly resolution work report
web-weekly-due = Due
web-weekly-not-late = On time
web-weekly-to-board = Back to the weekly reports
web-weekly-nothing-filed = This week's report has not been filed.
web-weekly-frozen = Figures as frozen at filing: { $percent } of the units' data had arrived, as of { $at }
web-weekly-part-main_disputes = Main disputes and how they are being resolved
web-weekly-part-cases = Cases resolved and still open
web-weekly-part-help_needed = Problems needing the higher tier's help
web-weekly-part-next_week_focus = Next week's focus
web-weekly-signer = Signed by
web-weekly-history = Filing and review steps
web-weekly-no-steps = Nothing has been filed or reviewed yet.
web-weekly-file = File the weekly report
web-weekly-file-submit = Sign and file
web-weekly-withdraw = Withdraw the report
web-weekly-not-over = The week is not over (its last day's cut-off has not passed): its report is filed afterwards.
web-accountability-counts = Actions by kind
web-accountability-units = Units: { $kind }
web-accountability-actions = Accountability actions
web-accountability-none = No accountability action in this year.
web-accountability-period = Evidence period
web-accountability-recorded-by = Recorded by
web-accountability-record = Record an accountability action
web-accountability-from = Evidence from
web-accountability-to = Evidence to
web-annual-title = Annual report
web-annual-by-outcome = By outcome
web-annual-disputes-chart = Disputes by category and outcome
web-annual-months-chart = Month by month
web-annual-screening = Screening and zero reports
web-annual-zero-share = Zero reports share
web-annual-weekly = Weekly reports
web-annual-weekly-due = Weekly reports due
web-annual-weekly-on-time = Filed on time
web-annual-wage-resolved = Wage disputes resolved on the spot
web-annual-wage-cases = Wage cases registered
web-overview-weekly-state = Weekly report: { $state } (the figures show whatever has arrived, approved or not)
web-annual-escalated = Escalated
web-annual-repeats = Repeat petitions
web-annual-repeat-rate = Repeat rate
web-annual-repeat-link = Repeat petition cases
web-annual-reception = Duty reception
web-annual-visits = Visits received
web-annual-one-visit = Settled at one visit
web-annual-one-visit-rate = One-visit rate
web-annual-supervision = Supervision
web-annual-supervisions = Supervision notices issued
## fengqiao weekly, accountability, annual (the weekly report as a document)

weekly-step-taken = { $unit } { $week }: { $step } (filing { $filing }); now { $state }
weekly-nothing-filed = { $unit } has filed no weekly report for { $week }: give --filing, or file it first
weekly-never-filed = never
weekly-standing = { $state }, filing { $filing }; due { $due }; first filed { $first }, { $late }
weekly-status-header = { $name } ({ $unit }): weekly reports for { $week }
weekly-show-header = { $name } ({ $unit }): weekly report for { $week }
weekly-no-children = no child nodes file under this unit
weekly-status-counts = { $children ->
    [one] 1 child node
   *[other] { $children } child nodes
    }: { $filed } filed, { $approved } approved, { $returned } returned, { $late } late, { $not_filed } not filed
weekly-none-held = no reports held for this week's approvers
weekly-held-intro = { $count ->
    [one] 1 report held until the week is unapproved:
   *[other] { $count } reports held until the week is unapproved:
}
weekly-held-line = { $unit } { $date } revision { $revision }, locked by { $locked_by }'s approval, held since { $at }
weekly-figures-intro = figures frozen by filing { $filing } (computed at { $at }; { $percent } of the units below had arrived):
weekly-main-disputes = Main disputes and their resolution
weekly-cases = Cases resolved and still open
weekly-help-needed = Problems needing the higher tier's help
weekly-next-week-focus = Next week's focus
heading-weekly-state = state
heading-late = late
heading-first-filed = first filed
heading-filing = filing
heading-step = step
heading-at = at
heading-by-unit = at node of
heading-reason = reason
heading-action = action
accountability-recorded = recorded { $id }: { $kind } of { $unit } { $name } (rank { $rank } in the evidence); a notice went to the unit and every unit between
accountability-none = no accountability actions
accountability-count = { $kind }: { $actions ->
    [one] 1 action
   *[other] { $actions } actions
    } against { $units ->
    [one] 1 unit
   *[other] { $units } units
}
annual-header = { $name } ({ $unit }): annual report { $year }
annual-through = counted through { $date }, computed at { $at }
annual-screening = Screening reports
annual-weekly = Weekly reports
annual-weekly-due = due
annual-weekly-filed = filed
annual-weekly-filed-value = { $filed } (on time { $on_time }, late { $late })
annual-weekly-not-filed = not filed
annual-weekly-approved = approved
annual-weekly-returned = returned
annual-disputes = Disputes
annual-by-outcome = by outcome
annual-wage-employers = employers screened
annual-wage-disputes = wage disputes
annual-wage-disputes-value = { $disputes } ({ $resolved } resolved)
annual-wage-cases = wage cases registered
annual-wage-workers = workers
annual-wage-amounts = amounts
annual-wage-amounts-value = claimed ¥{ $claimed }, recovered ¥{ $recovered }
annual-cases = Cases
annual-cases-registered = registered
annual-repeat-petitions = repeat petitions
annual-share-value = { $count } ({ $percent })
annual-visits = duty reception
annual-visits-value = { $visits } visits, resolved at the first visit { $one_visit }
annual-escalated = escalated
annual-closed = closed (on time)
annual-supervisions = supervisions
annual-accountability = Accountability
annual-accountability-value = { $units ->
    [one] 1 unit
   *[other] { $units } units
    } ({ $actions ->
    [one] 1 action
   *[other] { $actions } actions
    })
annual-months = Month by month

refusal-weekly-due-malformed = "{ $value }" is not a weekday and time (expected e.g. MON 12:00)
refusal-weekly-already-filed = { $unit }'s weekly report for { $week } is filed (filing { $filing }) and awaits review: withdraw it first
refusal-weekly-already-approved = { $unit }'s weekly report for { $week } is approved (filing { $filing }): it must be unapproved before it is filed again
refusal-weekly-filing-stale = { $unit }'s weekly report for { $week } is at filing { $latest }, not { $expected }: read it again
refusal-weekly-step-not-allowed = { $unit }'s weekly report for { $week } is { $state } (filing { $latest }), not filing { $filing } { $described }
refusal-weekly-not-filed = { $unit } has filed no weekly report for { $week }
refusal-weekly-children-not-approved = { $unit }'s weekly report for { $week } cannot be approved before its child nodes' reports are: { $waiting } not approved
refusal-weekly-parent-approved = { $unit }'s weekly report for { $week } cannot be unapproved while { $above } stands: unapprove { $parent } first
refusal-week-locked = the report of { $unit } for { $date } lies in a week locked by { $approval }, approved at { $at }: a leader of { $reviewer } or above must unapprove it first
refusal-text-too-long = at most { $max } characters
refusal-weekly-reviewed-by-home-leader = weekly reports are reviewed at { $home }'s node by a leader of { $home }, not of { $unit }
refusal-weekly-filed-at-own-node = { $unit } does not run this node ({ $home }): a unit files its weekly report at its own node
refusal-week-not-over = week { $week } is not over until { $over }: its report is filed after its last day's cut-off
refusal-week-before-reporting-start = week { $week } ended before reporting started on { $start }
refusal-must-be-approve-or-return = must be APPROVE or RETURN
refusal-weekly-not-reviewed-here = { $unit }'s weekly report is not reviewed at { $home }'s node: the node above a unit reviews it (the root its own)
refusal-weekly-not-unapproved-here = { $unit }'s weekly report is not approved at or below { $home }'s node: unapprove it where it was approved or above
refusal-must-be-accountability-kind = must be CRITICISM, ADMONITION or COMMENDATION
refusal-accountability-below-only = an accountability action is recorded against a unit below { $home }, not against it
refusal-not-a-year = must be a year from 1900 to 9999

# Departments, receipts, working groups (issue 20)
detail-transferred-to-department = to { $department } by { $deadline }: { $reason }
detail-assigned-to-department = { $department } reports back by { $report_by }
detail-department-reported = { $department } reported { $timing }: { $report }
detail-working-group = lead { $lead }; members { $members }
detail-public-reply = reply to the petitioner: { $text }
detail-receipt-issued = a new receipt was issued (the earlier code no longer works)
detail-petitioner-rated = rated by the petitioner: { $rating }
event-transferred_to_department = transferred to a department
event-assigned_to_department = assigned to a department
event-department_reported = department reported back
event-working_group_set = working group set
event-public_replied = replied to the petitioner
event-receipt_issued = receipt issued
event-petitioner_rated = rated by the petitioner

# Receipts, the public tracker and the petitioner's rating (issue 20, wt-track)
node-task-public_tracker = public_tracker
refusal-tracker-wrong-pair = case number or query code is wrong
refusal-tracker-busy-source = too many lookups from this address: retry in { $seconds } s
refusal-tracker-busy-case = too many lookups of this case number: retry in { $seconds } s
refusal-tracker-already-rated = this case has been rated already; a rating is given once
refusal-tracker-not-resolved = the case is not resolved yet: rate it once it is
refusal-tracker-held-above = the case is now handled by an upper level's office: rate it on that office's public page
refusal-query-code-shape = a query code is 12 letters and digits, like 7KQ2-M9XH-4TPW
track-title = Follow your case
track-explain = Enter the case number and the query code printed on your receipt.
track-case-number = Case number
track-query-code = Query code
track-submit = Look up
track-category = Kind of matter
track-office = Handled by
track-registered-on = Registered on
track-accept-by = To be accepted by
track-accepted-on = Accepted on
track-deadline = To be handled by
track-resolved-on = Resolved on
track-closed-on = Closed on
track-rating = Your rating
track-replies = Replies to you
track-no-replies = No reply yet.
track-rate-legend = How satisfied are you with the handling?
track-rate-submit = Rate
track-rated = Thank you: your rating is recorded.
track-rating-on-its-way = Thank you: your rating is on its way to the office handling the case.
track-choose-rating = Choose satisfied or dissatisfied.
track-can-rate = Resolved: you may rate the handling once (fengqiao track … --rate satisfied|dissatisfied).
receipt-title = Receipt (keep it: it is shown once)
receipt-case = Case number: { $case }
receipt-code = Query code: { $code }
receipt-url = Follow it at: { $url }
receipt-keep = The query code opens the case's status to whoever holds it.
refusal-rating-satisfied-or-dissatisfied = a petitioner's rating is satisfied or dissatisfied
refusal-rating-already-recorded = the petitioner's rating { $rating_id } is already recorded on case { $id }
refusal-case-already-rated = the petitioner already rated case { $id } on { $on }
refusal-case-already-rated-event = case { $id } was already rated by the petitioner
web-public-replies = Replies to the petitioner (public)
web-public-replies-explain = Public: the petitioner reads these on the public tracker with the receipt's code.
summary-cases-petitioner = rated by the petitioners themselves (public tracker): { $satisfied } satisfied, { $dissatisfied } dissatisfied, satisfaction { $rate }
web-cases-petitioner-satisfied = Petitioners satisfied (own rating)
web-cases-petitioner-dissatisfied = Petitioners dissatisfied (own rating)
## Issue 20, departments (职能部门): refusals
refusal-department-code-length = a department code is 1–{ $max } characters
refusal-department-code-characters = a department code holds only lowercase letters, digits and '_'
refusal-department-id-shape = a department id is {"{"}unit{"}"}:{"{"}code{"}"}, like 410411:hrss
refusal-department-name-length = a department name is 1–{ $max } characters
refusal-department-ends-before-it-starts = ends ({ $until }) before it starts ({ $from })
refusal-department-dates-overlap = department { $id } is listed twice for overlapping dates
refusal-department-not-of-owner = department { $department } is not a department of the case's owner { $owner_unit }
refusal-department-task-still-open = case { $id } is already assigned to department { $department }, which has not reported back
refusal-no-open-department-task = case { $id } has no open assignment to department { $department }
refusal-case-already-held-by-department = case { $id } is already held by department { $department }
refusal-report-by-between-today-and-deadline = must lie between today ({ $on }) and the case's deadline ({ $limit })
refusal-department-case-only = { $who } of department { $department } may call { $rpc } only on the cases it { $cases }; case { $case } is not one
refusal-departments-row-unreadable = { $error }
refusal-department-id-disagrees = { $department_id } disagrees with unit_id and code ({ $id })
refusal-department-reports-for-itself = a person of department { $own } reports back only for it, not for { $named }
refusal-no-such-department = department { $department } does not exist on { $today }
refusal-department-lists-its-own = a person of department { $own } lists only its cases, not those of { $named }

## Issue 20, departments (职能部门): the CLI and the dashboard
heading-department = department
heading-department-name = name
heading-five-in-one = 五位一体
heading-from = from
heading-until = until
heading-transferred-in = transferred in
heading-held-open = held open
heading-resolved-on-time = resolved on time
heading-assigned = assigned
heading-reported-on-time = reported on time
heading-report-overdue = report overdue
heading-on-time-rate = on-time rate
dept-total = all departments
dept-list-footer = { $count } departments
dept-figures-footer = { $from } to { $to }: { $count } departments, the best on-time rate first (resolved and reported by their dates)
web-nav-departments = Departments
web-departments-range = { $from } to { $to }
web-departments-figures = Departments' cases, the best on-time rate first
web-departments-none = This unit has no departments.
web-departments-note = Each figure counts cases: transferred in (转办) and assigned (交办) in the range; held open and overdue at its end; resolved and reported back in the range, and of those by their dates. The on-time rate is (resolved on time + reported on time) / (resolved + reported); departments with nothing resolved or reported come last. A department's name opens its cases.
web-bad-date = A date is YYYY-MM-DD: { $date }
field-department = Held by department
field-department-task = Assigned to department
field-department-task-open = { $department }: report by { $report_by }, not yet reported
field-department-task-reported = { $department }: report by { $report_by }, reported on { $reported_on }
action-transfer_to_department = transfer to a department (转办)
action-assign_to_department = assign to a department (交办)
action-report_back = report back on
web-act-report-by = Report back by
## Issue 20: leaders' contact duties, key projects, working groups
refusal-group-member-unit-not-in-tree = working group member { $person }: unit { $unit } is not in the tree of this node (home { $home })
refusal-duty-id-shape = a duty id is at most { $max } letters, digits, '-', '_' and '.'
refusal-project-name-shape = a project's name is 1–{ $max } characters, without control characters
refusal-project-kind-one-of = a project's kind is one of { $kinds }
refusal-duty-unit-not-township = unit { $unit } is a { $tier }: a contact duty's unit is a township
refusal-no-such-project = no project { $project } is registered here
refusal-duty-names-one-area = a contact duty names a township (unit_id) or a project (project_id), not both
refusal-duty-overlaps = duty { $other } of { $leader } on { $target } overlaps these dates: end it first, or resend it with its own id
refusal-at-most-group-members = a working group has at most { $max } members
refusal-group-member-twice = { $person } is named twice in the working group
refusal-project-id-shape = a project id is 1–{ $max } lowercase letters, digits, '-' and '_'
contact-project-created = project { $project } registered at unit { $unit }
contact-project-updated = project { $project } at unit { $unit } (updated, or already so)
contact-duty-set = contact duty { $duty }: { $leader } on { $area } from { $from } until { $until }
contact-figures-head = leader { $leader }, { $from } to { $to }: contact townships and projects
contact-figures-led = cases led (包案): { $led }, closed { $closed }, on time { $on_time }, overdue { $overdue }; on-time closure { $rate }
error-contact-no-answer = the node answered without the record
error-no-such-duty = no contact duty { $duty } is held by the node
error-group-member = { $value }: a working group member is PERSON@UNIT or PERSON@UNIT:DEPT
heading-project = project
heading-duty = duty
heading-area = area
web-nav-leaders = Leaders' contacts
web-leaders-show = Show
web-leaders-none = No leader has a contact duty in these days.
web-leaders-cases-led = Cases led (包案)
web-leaders-areas = Townships and key projects
web-leaders-led = led
web-leaders-bad-date = { $field }: a date is YYYY-MM-DD, not { $date }
refusal-department-not-of-unit = department { $department } is not of unit { $unit }

# Summaries above the district (RollupState)
refusal-counters-expected = { $count } counters; expected { $expected }
refusal-not-negative = must not be negative
refusal-employer-key-shape = must be 64 lower-case hex digits (a key, never a name)
refusal-must-be-positive = must be positive
refusal-listed-twice = listed twice
refusal-unknown-case-figure = unknown case figure { $figure }
refusal-node-holds-reports = this node holds reports, not summaries: send reports (uplink.mode = reports)
refusal-node-holds-summaries = this node is above the summary boundary and holds summaries only: send rollup states (uplink.mode = summaries)
refusal-day-in-future = { $day } has not begun here
## fengqiao demo --above city
heading-district = district
heading-figures-from = figures of
heading-wage-disputes = wage arrears
heading-employers = employers
heading-equal = equal
demo-city-title = { $city } ({ $unit }), week { $week }: each of its { $districts } districts' row at the city node (fed rollup states only) beside the district node's own weekly summary
demo-city-at-city = city node
demo-city-at-district = district node
demo-city-sum = sum of the districts
demo-city-siblings = the sibling districts' nodes accepted { $accepted } reports ({ $refused } refused by validation); the city node answered with the districts' figures after { $seconds } s of waiting for the outboxes to drain
demo-city-equal = the city's figures equal the districts' own: { $figures } figures compared (every category, outcome, wage and case figure; the city's distinct employers between the largest district's and the sum)
demo-city-no-reports = raw reports never left the districts: the city's store holds 0 reports, and ExportReports for { $unit } at the city answers FAILED_PRECONDITION: { $message }
refusal-below-summary-depth = unit { $unit } lies below what this node holds (it is above the summary boundary): its figures are held by node { $holder }
refusal-held-below-summary-boundary = this node is above the summary boundary and holds summaries only: the { $what } of { $unit } are held by the nodes below: { $nodes }
