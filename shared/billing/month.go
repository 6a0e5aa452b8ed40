package billing

import (
	"github.com/robfig/cron/v3"
	"regexp"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

var monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// ParseMonth checks a YYYY-MM month and returns its first day (midnight UTC,
// the DATE value of month_start).
func ParseMonth(month string) (time.Time, error) {
	if !monthPattern.MatchString(month) {
		return time.Time{}, errs.E(errs.Invalid, "month must be YYYY-MM, e.g. 2026-01")
	}
	t, err := time.Parse("2006-01", month)
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, errs.E(errs.Invalid, "month must be YYYY-MM between 2000-01 and 2200-12")
	}
	return t, nil
}

// PreviousMonth is the calendar month before the one now falls in, in loc.
func PreviousMonth(now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	return time.Date(t.Year(), t.Month()-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}

// NextRun returns the first time strictly after after at which the cron
// schedule spec fires in loc. spec has the five fields Cloud Scheduler takes
// (minute hour day-of-month month day-of-week; config.DefaultBillingSchedule
// is "0 6 1 * *", 06:00 on the first), so the local platform runs billing on
// exactly the schedule the Terraform gives the production job.
func NextRun(spec string, after time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return time.Time{}, errs.E(errs.Invalid, "billing schedule %q: %v", spec, err)
	}
	return sched.Next(after.In(loc)), nil
}

// monthsBetween lists the months from..to inclusive (both first days).
func monthsBetween(from, to time.Time) []string {
	var out []string
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

// checkEnded refuses a month that has not ended in the billing time zone:
// its units are not final (more rolls may arrive) and, for a month in the
// future, every property would be counted as carried forward. A month can
// be billed from midnight of its next month's first day.
func (s *Service) checkEnded(month string) error {
	m, err := ParseMonth(month)
	if err != nil {
		return err
	}
	loc := s.location()
	end := time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, loc)
	if s.now().Before(end) {
		return errs.E(errs.Invalid, "%s has not ended yet: it can be billed from %s (%s)",
			month, end.Format("2006-01-02 15:04"), loc.String())
	}
	return nil
}
