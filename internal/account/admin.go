package account

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/cleaner"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

var (
	errLastAdmin = model.Errf(model.CodeLastAdmin, "This is the studio's last admin. Make another account admin first.")
	// ErrForbidden answers a member calling an admin route.
	ErrForbidden = model.Errf(model.CodeForbidden, "Only an admin of this studio can do this.")
)

// AdminOptions configure Admin; zero values take production defaults.
type AdminOptions struct {
	// Audit records admin events; nil records nothing.
	Audit *audit.Log
	// Cleaner deletes a deleted account's stored objects; nil leaves them queued for a studio
	// that has one (the command line without media).
	Cleaner *cleaner.Cleaner
	Now     func() time.Time
	Logger  *slog.Logger
}

// Admin is what an admin (or the command line) does to accounts: the list with usage, roles,
// disabling, deleting, invites and password-reset links. The caller checks that the actor is an
// admin. Spending and budgets are the cost service's: the HTTP layer joins them to the list.
type Admin struct {
	st      *store.Store
	audit   *audit.Log
	cleaner *cleaner.Cleaner
	now     func() time.Time
	log     *slog.Logger
}

// NewAdmin builds the admin service.
func NewAdmin(st *store.Store, o AdminOptions) *Admin {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Admin{st: st, audit: o.Audit, cleaner: o.Cleaner, now: o.Now, log: o.Logger}
}

// Now is the service's clock (whether an invite is still pending).
func (a *Admin) Now() time.Time { return a.now() }

// AdminUser is one account with its usage, as the admin page lists it (SPEC §6 AdminUser
// without the spending, which the cost service answers).
type AdminUser struct {
	User        *model.User
	LastSeenAt  *time.Time
	Generations int64
	Assets      int64
	Bytes       int64
	SSOLinked   bool
}

func adminUser(r *store.UserUsage) AdminUser {
	return AdminUser{User: r.User, LastSeenAt: r.LastSeenAt, Generations: r.Generations, Assets: r.Assets, Bytes: r.Bytes, SSOLinked: r.SSOLinked}
}

// Users lists every account with its usage, oldest first.
func (a *Admin) Users(ctx context.Context) ([]AdminUser, error) {
	rows, err := a.st.UsersWithUsage(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AdminUser, len(rows))
	for i, r := range rows {
		out[i] = adminUser(r)
	}
	return out, nil
}

// User returns one account with its usage.
func (a *Admin) User(ctx context.Context, id int64) (*AdminUser, error) {
	r, err := a.st.UserWithUsage(ctx, id)
	if err != nil {
		return nil, err
	}
	u := adminUser(r)
	return &u, nil
}

// UserByEmail finds an account (the command line).
func (a *Admin) UserByEmail(ctx context.Context, rawEmail string) (*model.User, error) {
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return nil, err
	}
	return a.st.UserByEmail(ctx, email)
}

func lastAdmin(err error) error {
	if errors.Is(err, store.ErrLastAdmin) {
		return errLastAdmin
	}
	return err
}

// SetRole makes an account admin or member; the last admin cannot be demoted.
func (a *Admin) SetRole(ctx context.Context, actor *audit.Actor, userID int64, role string) error {
	if role != model.RoleAdmin && role != model.RoleMember {
		return model.Errf(model.CodeInvalidInput, `The role must be "admin" or "member".`)
	}
	before, err := a.st.SetRole(ctx, userID, role)
	if err != nil {
		return lastAdmin(err)
	}
	if before != role {
		a.log.Info("role changed", "user_id", userID, "role", role)
		a.audit.Record(ctx, audit.Entry{Actor: actor, Action: audit.ActionRoleChange, Target: audit.User(userID), Detail: map[string]any{"from": before, "to": role}})
	}
	return nil
}

// SetDisabled disables an account (every session ends at once; its jobs already at fal still
// finish and are stored) or enables it again. The last admin cannot be disabled.
func (a *Admin) SetDisabled(ctx context.Context, actor *audit.Actor, userID int64, disabled bool) error {
	changed, err := a.st.SetDisabled(ctx, userID, disabled)
	if err != nil {
		return lastAdmin(err)
	}
	if changed {
		action := audit.ActionEnable
		if disabled {
			action = audit.ActionDisable
		}
		a.log.Info("account "+map[bool]string{true: "disabled", false: "enabled"}[disabled], "user_id", userID)
		a.audit.Record(ctx, audit.Entry{Actor: actor, Action: action, Target: audit.User(userID)})
	}
	return nil
}

// CheckChange tells ahead of a change of role or disabled state whether it would be refused (the
// last admin demoted or disabled), so that a request changing several fields changes none.
func (a *Admin) CheckChange(ctx context.Context, userID int64, role *string, disabled *bool) error {
	if (role != nil && *role != model.RoleAdmin) || (disabled != nil && *disabled) {
		return lastAdmin(a.st.CheckDeletable(ctx, userID))
	}
	return nil
}

// CheckDeletable tells ahead of a delete whether the account may go (not the last admin), so
// that nothing is done to it (its jobs canceled) for a delete that would be refused.
func (a *Admin) CheckDeletable(ctx context.Context, userID int64) error {
	return lastAdmin(a.st.CheckDeletable(ctx, userID))
}

// inFlightDelay is how long the objects of jobs still saving wait before their delete is
// retried: the runner may still be uploading them (its asset insert then fails and it removes
// the object itself; this queue entry catches the rest).
const inFlightDelay = 10 * time.Minute

// DeleteUser removes an account with its sessions, generations, assets and stored objects
// (S3 and local). The last admin cannot be deleted. Deleting one's own account and an admin
// deleting another both come here (the HTTP layer first cancels the account's jobs at fal).
func (a *Admin) DeleteUser(ctx context.Context, actor *audit.Actor, userID int64) error {
	u, err := a.st.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	s3 := a.cleaner != nil && a.cleaner.S3Configured()
	objs, later, err := a.st.DeleteUser(ctx, userID, s3, a.now().Add(inFlightDelay))
	if err != nil {
		return lastAdmin(err)
	}
	bg := context.WithoutCancel(ctx) // the account is gone: finish its objects even if the client leaves
	removed := 0
	if a.cleaner != nil {
		removed = a.cleaner.RemoveQueued(bg, objs, true)
		// Objects of jobs still saving go now too, but stay queued: the upload may land after this.
		a.cleaner.RemoveQueued(bg, later, false)
	}
	a.log.Info("account deleted", "user_id", userID, "objects", len(objs)+len(later), "removed", removed)
	a.audit.Record(ctx, audit.Entry{Actor: actor, Action: audit.ActionDelete, Target: audit.User(userID),
		Detail: map[string]any{"email": u.Email, "objects": int64(len(objs) + len(later))}})
	return nil
}
