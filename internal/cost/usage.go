package cost

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Usage groupings.
const (
	GroupDay   = "day"
	GroupModel = "model"
	GroupUser  = "user"
	GroupToken = "token" // the person's own usage by personal access token (SPEC §11)
)

// maxUsageDays bounds a usage range (a day-grouped answer has one bucket per day).
const maxUsageDays = 400

// UsageQuery selects the generations a usage report sums: dates are YYYY-MM-DD in UTC, both
// included; empty means this calendar month.
type UsageQuery struct {
	From, To string
	GroupBy  string
}

// Bucket is one group of a usage report.
type Bucket struct {
	Key    string  `json:"key"`
	UserID *int64  `json:"userId,omitempty"` // groupBy=user
	Name   *string `json:"name,omitempty"`   // groupBy=token: the token's name, "web" for the browser
	USD    float64 `json:"usd"`
	Count  int64   `json:"count"`
}

// Usage is a usage report: what finished generations cost, by day, model or user.
type Usage struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	GroupBy  string   `json:"groupBy"`
	TotalUSD float64  `json:"totalUsd"`
	Count    int64    `json:"count"`
	Buckets  []Bucket `json:"buckets"`
	// UnpricedCount is how many of them had no price (their cost is unknown, not 0).
	UnpricedCount int64 `json:"unpricedCount"`
	Budget
}

const day = 24 * time.Hour

func (s *Service) parseRange(q UsageQuery, allowed ...string) (time.Time, time.Time, string, error) {
	if q.GroupBy == "" {
		q.GroupBy = GroupDay
	}
	if !slices.Contains(allowed, q.GroupBy) {
		return time.Time{}, time.Time{}, "", model.Errf(model.CodeInvalidInput, "groupBy must be one of %v.", allowed)
	}
	from, to := MonthBounds(s.now())
	to = to.Add(-day)
	parse := func(v string, dst *time.Time) error {
		if v == "" {
			return nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return model.Errf(model.CodeInvalidInput, "Dates are YYYY-MM-DD (for example 2026-01-31).")
		}
		*dst = t
		return nil
	}
	if err := parse(q.From, &from); err != nil {
		return time.Time{}, time.Time{}, "", err
	}
	if err := parse(q.To, &to); err != nil {
		return time.Time{}, time.Time{}, "", err
	}
	if to.Before(from) {
		return time.Time{}, time.Time{}, "", model.Errf(model.CodeInvalidInput, "from must not be after to.")
	}
	if to.Sub(from) > maxUsageDays*day {
		return time.Time{}, time.Time{}, "", model.Errf(model.CodeInvalidInput, "A usage range is at most %d days.", maxUsageDays)
	}
	return from, to, q.GroupBy, nil
}

// MyUsage is the person's own usage, grouped by day or model, with their budget.
func (s *Service) MyUsage(ctx context.Context, userID int64, q UsageQuery) (*Usage, error) {
	from, to, group, err := s.parseRange(q, GroupDay, GroupModel, GroupToken)
	if err != nil {
		return nil, err
	}
	u, err := s.usage(ctx, userID, from, to, group)
	if err != nil {
		return nil, err
	}
	if u.Budget, err = s.Budget(ctx, userID); err != nil {
		return nil, err
	}
	return u, nil
}

// AllUsage is every user's usage, grouped by user (key: email), model or day. The caller checks
// that the actor is an admin. Its budget fields are the whole instance's: no budget, and the
// month's spending and reservations of everyone.
func (s *Service) AllUsage(ctx context.Context, q UsageQuery) (*Usage, error) {
	from, to, group, err := s.parseRange(q, GroupUser, GroupModel, GroupDay)
	if err != nil {
		return nil, err
	}
	u, err := s.usage(ctx, 0, from, to, group)
	if err != nil {
		return nil, err
	}
	ms, me := MonthBounds(s.now())
	all, err := s.st.SpendByUser(ctx, ms, me)
	if err != nil {
		return nil, err
	}
	for _, sp := range all {
		u.SpentUSD += sp.SpentUSD
		u.ReservedUSD += sp.ReservedUSD
	}
	u.SpentUSD, u.ReservedUSD = roundUSD(u.SpentUSD), roundUSD(u.ReservedUSD)
	return u, nil
}

func (s *Service) usage(ctx context.Context, userID int64, from, to time.Time, group string) (*Usage, error) {
	rows, err := s.st.Usage(ctx, store.UsageQuery{UserID: userID, From: from, To: to.Add(day), GroupBy: group})
	if err != nil {
		return nil, err
	}
	u := &Usage{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), GroupBy: group, Buckets: []Bucket{}}
	for _, r := range rows {
		b := Bucket{Key: r.Key, USD: roundUSD(r.USD), Count: r.Count}
		if group == GroupDay {
			n, err := strconv.ParseInt(r.Key, 10, 64)
			if err != nil {
				continue
			}
			b.Key = time.UnixMilli(n * int64(day/time.Millisecond)).UTC().Format(time.DateOnly)
		}
		if group == GroupToken {
			name := r.Name
			b.Name = &name
		}
		if group == GroupUser {
			id := r.UserID
			b.UserID = &id
		}
		u.TotalUSD += r.USD
		u.Count += r.Count
		u.UnpricedCount += r.Unpriced
		u.Buckets = append(u.Buckets, b)
	}
	u.TotalUSD = roundUSD(u.TotalUSD)
	if group == GroupDay {
		// Every day of the range, so a chart needs no gaps filled in.
		byKey := make(map[string]Bucket, len(u.Buckets))
		for _, b := range u.Buckets {
			byKey[b.Key] = b
		}
		days := make([]Bucket, 0, int(to.Sub(from)/day)+1)
		for d := from; !d.After(to); d = d.Add(day) {
			k := d.Format(time.DateOnly)
			if b, ok := byKey[k]; ok {
				days = append(days, b)
			} else {
				days = append(days, Bucket{Key: k})
			}
		}
		u.Buckets = days
	} else {
		slices.SortStableFunc(u.Buckets, func(a, b Bucket) int {
			switch {
			case a.USD > b.USD:
				return -1
			case a.USD < b.USD:
				return 1
			}
			if a.Key < b.Key {
				return -1
			}
			if a.Key > b.Key {
				return 1
			}
			return 0
		})
	}
	return u, nil
}
