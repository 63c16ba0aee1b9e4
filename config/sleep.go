package config

import (
	"time"
	_ "time/tzdata" // time zones checked the same on every machine

	"github.com/octabyte/octabyte/sleep"
)

// readSleep reads the staging-only sleep schedule: nil when the stack never
// sleeps.
func readSleep(r *reader, stack string) *sleep.Window {
	expr := r.str("sleepSchedule", "", `When a non-production stack is awake, e.g. "mon-fri 08:00-20:00"; outside it the database stops and the service runs 0 tasks. Empty: always awake`)
	zone := r.str("sleepTimeZone", "UTC", "IANA time zone of octabyte:sleepSchedule, e.g. Asia/Kolkata")
	if _, err := time.LoadLocation(zone); err != nil || zone == "Local" || zone == "" {
		r.fail("sleepTimeZone", zone, "must be an IANA time zone name such as UTC or Asia/Kolkata")
	}
	if expr == "" {
		return nil
	}
	if IsProduction(stack) {
		r.fail("sleepSchedule", expr, "production stacks never sleep: leave it empty")
		return nil
	}
	w, err := sleep.ParseWindow(expr)
	if err != nil {
		r.fail("sleepSchedule", expr, "%s", err)
		return nil
	}
	w.TimeZone = zone
	return &w
}
