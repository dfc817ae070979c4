package account

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

var (
	errAccountDisabled = model.Errf(model.CodeAccountDisabled, "This account is disabled. Ask the studio's admin to enable it again.")
	errLastAdmin       = model.Errf(model.CodeLastAdmin, "This is the studio's last admin. Make another account admin first.")
	// ErrForbidden answers a member calling an admin route.
	ErrForbidden = model.Errf(model.CodeForbidden, "Only an admin of this studio can do this.")
)

// AdminUser is one account as the admin page shows it (SPEC §6 AdminUser).
type AdminUser struct {
	User        *model.User
	LastSeenAt  *time.Time
	Generations int64
	Assets      int64
	Bytes       int64
	// Filled by fillCosts.
	SpentThisMonthUSD float64
	MonthlyBudgetUSD  *float64 // nil: no budget
}

// adminUsers is the ONE place an AdminUser is assembled: usage from the store, then the cost
// fields. Every admin answer (list, PATCH) goes through it.
func (s *Service) adminUsers(ctx context.Context, rows []*store.UserUsage) ([]AdminUser, error) {
	out := make([]AdminUser, len(rows))
	for i, r := range rows {
		out[i] = AdminUser{User: r.User, LastSeenAt: r.LastSeenAt, Generations: r.Generations, Assets: r.Assets, Bytes: r.Bytes}
	}
	if err := s.fillCosts(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Budgets is the costs service as the admin pages need it (package cost implements it; the app
// hands it over with UseBudgets, since the costs service is built after this one).
type Budgets interface {
	// AdminSpend is every account's spending this month and the budget an admin set for it.
	AdminSpend(ctx context.Context) (map[int64]Spend, error)
	// SetAdminBudget validates and stores the budget an admin gives an account (nil: none).
	SetAdminBudget(ctx context.Context, userID int64, usd *float64) error
}

// Spend is an account's spending this month and its admin-set budget.
type Spend struct {
	SpentThisMonthUSD float64
	MonthlyBudgetUSD  *float64
}

// UseBudgets gives the service the costs service (nil: accounts have spent 0 and budgets are refused).
func (s *Service) UseBudgets(b Budgets) { s.budgets = b }

// fillCosts sets SpentThisMonthUSD and MonthlyBudgetUSD from the costs service.
func (s *Service) fillCosts(ctx context.Context, users []AdminUser) error {
	if s.budgets == nil {
		return nil
	}
	spend, err := s.budgets.AdminSpend(ctx)
	if err != nil {
		return err
	}
	for i := range users {
		sp := spend[users[i].User.ID]
		users[i].SpentThisMonthUSD, users[i].MonthlyBudgetUSD = sp.SpentThisMonthUSD, sp.MonthlyBudgetUSD
	}
	return nil
}

// SetMonthlyBudget applies PATCH /api/admin/users/{id} {"monthlyBudgetUsd"} (nil: no budget).
func (s *Service) SetMonthlyBudget(ctx context.Context, admin *model.User, userID int64, usd *float64) error {
	if s.budgets == nil {
		return model.Errf(model.CodeInvalidInput, "Monthly budgets are not available on this studio.")
	}
	if err := s.budgets.SetAdminBudget(ctx, userID, usd); err != nil {
		return err
	}
	detail := map[string]any{"monthlyBudgetUsd": nil, "by": "admin"}
	if usd != nil {
		detail["monthlyBudgetUsd"] = *usd
	}
	s.log.Info("budget changed", "user_id", userID, "by", "admin")
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(admin), Action: audit.ActionBudgetChange, Target: audit.User(userID), Detail: detail})
	return nil
}

// UseStorage gives the service the media storage it deletes a removed account's objects from
// (the app builds storage after the account service).
func (s *Service) UseStorage(st *media.Storage) { s.storage = st }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// Users lists every account with its usage, oldest first.
func (s *Service) Users(ctx context.Context) ([]AdminUser, error) {
	rows, err := s.st.UsersWithUsage(ctx)
	if err != nil {
		return nil, err
	}
	return s.adminUsers(ctx, rows)
}

// AdminUser returns one account with its usage.
func (s *Service) AdminUser(ctx context.Context, id int64) (*AdminUser, error) {
	r, err := s.st.UserWithUsage(ctx, id)
	if err != nil {
		return nil, err
	}
	us, err := s.adminUsers(ctx, []*store.UserUsage{r})
	if err != nil {
		return nil, err
	}
	return &us[0], nil
}

func lastAdmin(err error) error {
	if errors.Is(err, store.ErrLastAdmin) {
		return errLastAdmin
	}
	return err
}

// SetRole makes an account admin or member; the last admin cannot be demoted.
func (s *Service) SetRole(ctx context.Context, actor *audit.Actor, userID int64, role string) error {
	if role != model.RoleAdmin && role != model.RoleMember {
		return model.Errf(model.CodeInvalidInput, `The role must be "admin" or "member".`)
	}
	before, err := s.st.SetRole(ctx, userID, role)
	if err != nil {
		return lastAdmin(err)
	}
	if before != role {
		s.log.Info("role changed", "user_id", userID, "role", role)
		s.audit.Record(ctx, audit.Entry{Actor: actor, Action: audit.ActionRoleChange, Target: audit.User(userID), Detail: map[string]any{"from": before, "to": role}})
	}
	return nil
}

// SetDisabled disables an account (every session ends at once; its jobs already at fal still
// finish and are stored) or enables it again. The last admin cannot be disabled.
func (s *Service) SetDisabled(ctx context.Context, actor *audit.Actor, userID int64, disabled bool) error {
	changed, err := s.st.SetDisabled(ctx, userID, disabled)
	if err != nil {
		return lastAdmin(err)
	}
	if changed {
		action := audit.ActionEnable
		if disabled {
			action = audit.ActionDisable
		}
		s.log.Info("account "+map[bool]string{true: "disabled", false: "enabled"}[disabled], "user_id", userID)
		s.audit.Record(ctx, audit.Entry{Actor: actor, Action: action, Target: audit.User(userID)})
	}
	return nil
}

// inFlightDelay is how long the objects of jobs still saving wait before their delete is
// retried: the runner may still be uploading them (its asset insert then fails and it removes
// the object itself; this queue entry catches the rest).
const inFlightDelay = 10 * time.Minute

// deleteBudget bounds how long a delete request spends removing objects; whatever is left is
// finished by the pending-delete retries.
const deleteBudget = 30 * time.Second

// DeleteUser removes an account with its sessions, generations, assets and stored objects
// (S3 and local). The last admin cannot be deleted.
func (s *Service) DeleteUser(ctx context.Context, actor *audit.Actor, userID int64) error {
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	s3 := s.storage != nil && s.storage.S3Configured()
	objs, later, err := s.st.DeleteUser(ctx, userID, s3, s.now().Add(inFlightDelay))
	if err != nil {
		return lastAdmin(err)
	}
	bg := context.WithoutCancel(ctx) // the account is gone: finish its objects even if the client leaves
	removed := s.removeObjects(bg, objs, true)
	// Objects of jobs still saving go now too, but stay queued: the upload may land after this.
	s.removeObjects(bg, later, false)
	s.log.Info("account deleted", "user_id", userID, "objects", len(objs)+len(later), "removed", removed)
	s.audit.Record(ctx, audit.Entry{Actor: actor, Action: audit.ActionDelete, Target: audit.User(userID),
		Detail: map[string]any{"email": u.Email, "objects": int64(len(objs) + len(later))}})
	return nil
}

// removeObjects deletes queued objects a few at a time and (forget) clears the queue entries
// that worked; failures stay queued for the runner's retries. It returns how many are gone.
func (s *Service) removeObjects(ctx context.Context, objs []store.PendingDelete, forget bool) int {
	if s.storage == nil || len(objs) == 0 {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, deleteBudget)
	defer cancel()
	var mu sync.Mutex
	done := 0
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, o := range objs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.storage.Delete(ctx, o.Storage, o.Key); err != nil {
				s.log.Warn("object delete failed; will retry", "storage", o.Storage, "err", err)
				return
			}
			if forget {
				if err := s.st.DonePendingDelete(ctx, o.Storage, o.Key); err != nil {
					return
				}
			}
			mu.Lock()
			done++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return done
}

// CheckDeletable tells ahead of a delete whether the account may go (not the last admin), so
// that nothing is done to it (its jobs canceled) for a delete that would be refused.
func (s *Service) CheckDeletable(ctx context.Context, userID int64) error {
	return lastAdmin(s.st.CheckDeletable(ctx, userID))
}

// CheckPassword checks the user's own password (before deleting the account).
func (s *Service) CheckPassword(ctx context.Context, u *model.User, password string) error {
	ok, err := s.compare(ctx, []byte(u.PasswordHash), password)
	if err != nil {
		return err
	}
	if !ok || checkPasswordShape(password) != nil {
		return model.Errf(model.CodeInvalidCredentials, "The password is incorrect.")
	}
	return nil
}

// DeleteSelf deletes the caller's own account after checking its password.
func (s *Service) DeleteSelf(ctx context.Context, u *model.User, password string) error {
	if err := s.CheckPassword(ctx, u, password); err != nil {
		return err
	}
	return s.DeleteUser(ctx, audit.ActorOf(u), u.ID)
}

// UserByEmail finds an account (the command line).
func (s *Service) UserByEmail(ctx context.Context, rawEmail string) (*model.User, error) {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return nil, err
	}
	return s.st.UserByEmail(ctx, email)
}
