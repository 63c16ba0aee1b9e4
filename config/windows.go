package config

import (
	"slices"
	"strconv"
	"strings"
)

// RDS's window rules (CreateDBInstance, PreferredBackupWindow and
// PreferredMaintenanceWindow): each at least 30 minutes, in UTC, and the
// daily backup window must not overlap the weekly maintenance window.
const (
	minWindowMinutes = 30
	dayMinutes       = 24 * 60
	weekMinutes      = 7 * dayMinutes
)

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// span is a window as minutes of the week: it starts at start and lasts
// length minutes, wrapping past Sunday midnight.
type span struct{ start, length int }

// minuteOf reads "hh:mm" (format already checked) as minutes of the day.
func minuteOf(hhmm string) int {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:5])
	return h*60 + m
}

// backupSpans is the daily "hh:mm-hh:mm" window on each day of the week; a
// window that ends before it starts runs past midnight.
func backupSpans(window string) []span {
	from, to, _ := strings.Cut(window, "-")
	start, length := minuteOf(from), (minuteOf(to)-minuteOf(from)+dayMinutes)%dayMinutes
	out := make([]span, 7)
	for d := range out {
		out[d] = span{d*dayMinutes + start, length}
	}
	return out
}

// maintenanceSpan is the weekly "ddd:hh:mm-ddd:hh:mm" window.
func maintenanceSpan(window string) span {
	from, to, _ := strings.Cut(window, "-")
	at := func(s string) int { return slices.Index(weekdays, s[:3])*dayMinutes + minuteOf(s[4:]) }
	start := at(from)
	return span{start, (at(to) - start + weekMinutes) % weekMinutes}
}

// overlaps reports whether two spans of the circular week share a minute.
func (a span) overlaps(b span) bool {
	starts := func(x, y span) bool { return (y.start-x.start+weekMinutes)%weekMinutes < x.length }
	return a.length > 0 && b.length > 0 && (starts(a, b) || starts(b, a))
}

// checkWindows applies RDS's rules to well-formed windows.
func checkWindows(r *reader, backup, maintenance string) {
	daily, weekly := backupSpans(backup), maintenanceSpan(maintenance)
	if daily[0].length < minWindowMinutes {
		r.fail("dbBackupWindow", backup, "must be at least %d minutes long (RDS's minimum)", minWindowMinutes)
	}
	if weekly.length < minWindowMinutes {
		r.fail("dbMaintenanceWindow", maintenance, "must be at least %d minutes long (RDS's minimum)", minWindowMinutes)
	}
	if slices.ContainsFunc(daily, weekly.overlaps) {
		r.fail("dbMaintenanceWindow", maintenance, "overlaps octabyte:dbBackupWindow (%s, daily): RDS requires the two windows not to overlap", backup)
	}
}
