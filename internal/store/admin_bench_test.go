package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// BenchmarkUsersWithUsage measures the Admin tab's users list: 50 accounts owning 20,000
// assets and 5,000 generations between them (usage counted per account).
func BenchmarkUsersWithUsage(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		for u := range 50 {
			usr, err := scanUser(tx.QueryRowContext(ctx, `INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ($1, 'h', $2, $2) RETURNING `+userCols,
				fmt.Sprintf("u%d@example.com", u), base))
			if err != nil {
				return err
			}
			for g := range 100 {
				gid := fmt.Sprintf("g%d-%d", u, g)
				if _, err := tx.ExecContext(ctx, `INSERT INTO generations (id, user_id, model, status, created_at, updated_at) VALUES ($1, $2, 'm', 'succeeded', $3, $3)`,
					gid, usr.ID, base+int64(g)); err != nil {
					return err
				}
				for a := range 4 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO assets (id, user_id, generation_id, model, result_kind, storage_key, storage, content_type, bytes, created_at)
						VALUES ($1, $2, $3, 'm', 'image', $4, 'local', 'image/png', 123456, $5)`,
						fmt.Sprintf("%s-%d", gid, a), usr.ID, gid, fmt.Sprintf("users/%d/%s-%d", usr.ID, gid, a), base+int64(g)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		us, err := s.UsersWithUsage(ctx)
		if err != nil || len(us) != 50 || us[0].Assets != 400 || us[0].Generations != 100 {
			b.Fatalf("%d users, %v", len(us), err)
		}
	}
}
