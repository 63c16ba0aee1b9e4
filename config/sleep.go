package config

import (
	"fmt"
	"slices"
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

// backupWhileAsleep is the warning for a daily backup window (UTC) that
// always falls while a sleeping stack's database is stopped: RDS takes no
// automated backup of a stopped instance (RDS User Guide, "Backup retention
// period"). The database's awake span is placed in UTC in mid-January and
// mid-July, so a zone's daylight saving time is seen either way.
func backupWhileAsleep(w *sleep.Window, backup string) string {
	if w == nil || !windowPattern.MatchString(backup) {
		return ""
	}
	zone, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return ""
	}
	from, to := w.Start-sleep.DBWakeLeadMinutes, w.End+sleep.DBSleepLagMinutes
	wakes := []time.Time{
		time.Date(2025, time.January, 15, from/60, from%60, 0, 0, zone).UTC(),
		time.Date(2025, time.July, 15, from/60, from%60, 0, 0, zone).UTC(),
	}
	daylightSaving := wakes[0].Format("15:04") != wakes[1].Format("15:04")
	for _, wake := range wakes {
		awake := span{dayMinutes + wake.Hour()*60 + wake.Minute(), to - from} // on one day; the backup window is on each
		if !slices.ContainsFunc(backupSpans(backup), awake.overlaps) {
			hours := fmt.Sprintf("%s-%s UTC", wake.Format("15:04"), wake.Add(time.Duration(to-from)*time.Minute).Format("15:04"))
			if daylightSaving {
				hours += " in " + wake.Month().String()
			}
			return fmt.Sprintf("octabyte:dbBackupWindow %s (UTC) falls while the database sleeps (octabyte:sleepSchedule in %s): RDS takes no automated backup of a stopped instance; "+
				"set it inside the database's awake hours, %s", backup, w.TimeZone, hours)
		}
	}
	return ""
}
