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
