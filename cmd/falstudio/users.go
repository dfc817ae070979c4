package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/httpapi"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

const usersUsage = `usage: falstudio users list | promote EMAIL | reset-password EMAIL
  list                  every account with its role and state
  promote EMAIL         make the account an admin
  reset-password EMAIL  print a one-time link (valid 1 hour) that sets a new password`

// usersCommand is `falstudio users …`: account administration on the server's own command line,
// for an operator locked out of the web UI. It opens the configured database directly (safe
// beside a running studio: SQLite waits for the writer) and never starts the job runner.
func usersCommand(ctx context.Context, cfg *config.Config, args []string, out, errOut io.Writer) error {
	if len(args) == 0 {
		return errors.New(usersUsage)
	}
	sub, rest := args[0], args[1:]
	want := map[string]int{"list": 0, "promote": 1, "reset-password": 1}
	n, ok := want[sub]
	if !ok || len(rest) != n {
		return errors.New(usersUsage)
	}
	// An operator pointing at the wrong DATA_DIR must hear so, not get a fresh empty studio.
	if db := cfg.Database(); !store.IsPostgres(db) {
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return &config.Error{Var: "DATA_DIR", Msg: fmt.Sprintf("no studio database at %s (set DATA_DIR or DATABASE_URL to the server's)", db)}
		}
	}
	warnings, err := config.EnsureSecrets(cfg)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for _, w := range warnings {
		log.Warn(w)
	}
	st, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return fmt.Errorf("config: DATABASE_URL: cannot open the database: %w", err)
	}
	defer st.Close()
	// Only the admin side of accounts: this command never seals or opens a fal key.
	admin := account.NewAdmin(st, account.AdminOptions{Audit: audit.New(st, log), Logger: log})
	// Events recorded from here say where they came from.
	ctx = audit.WithIP(ctx, "command line")

	switch sub {
	case "list":
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			fmt.Fprintln(out, "No accounts yet: the first one to sign up becomes the admin.")
			return nil
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tSTATE\tCREATED")
		for _, u := range users {
			state := "active"
			if u.Disabled() {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, state, u.CreatedAt.Format(time.DateOnly))
		}
		return tw.Flush()
	case "promote":
		u, err := findUser(ctx, admin, rest[0])
		if err != nil {
			return err
		}
		if u.IsAdmin() {
			fmt.Fprintf(out, "%s is already an admin.\n", u.Email)
			return nil
		}
		if err := admin.SetRole(ctx, nil, u.ID, model.RoleAdmin); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s is now an admin.\n", u.Email)
		if u.Disabled() {
			fmt.Fprintln(out, "The account is disabled: enable it in Admin (as another admin) before it can log in.")
		}
		return nil
	default: // reset-password
		u, err := findUser(ctx, admin, rest[0])
		if err != nil {
			return err
		}
		tok, exp, err := admin.CreateResetLink(ctx, nil, u.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "One-time password reset link for %s (valid until %s, works once):\n%s\n",
			u.Email, exp.UTC().Format("2006-01-02 15:04 UTC"), httpapi.ResetURL(linkBase(cfg), tok))
		if cfg.PublicURL == nil {
			fmt.Fprintln(out, "PUBLIC_URL is not set: replace the address with the one people open the studio at.")
		}
		if u.Disabled() {
			fmt.Fprintln(out, "The account is disabled: it can set a password but cannot log in until an admin enables it.")
		}
		return nil
	}
}

func findUser(ctx context.Context, admin *account.Admin, email string) (*model.User, error) {
	u, err := admin.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no account with the email %s (falstudio users list shows them)", strings.TrimSpace(email))
	}
	var me *model.Error
	if errors.As(err, &me) {
		return nil, errors.New(me.Message)
	}
	return u, err
}

// linkBase is PUBLIC_URL, else the listen address as seen from this machine.
func linkBase(cfg *config.Config) string {
	if cfg.PublicURL != nil {
		return cfg.PublicURL.Scheme + "://" + cfg.PublicURL.Host
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
