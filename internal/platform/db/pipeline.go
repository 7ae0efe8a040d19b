package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Step is one statement of a Pipeline.
type Step struct {
	SQL  string
	Args []any
	// Row, when set, is called for each row the statement answers, with
	// the function that scans it.
	Row func(scan func(dest ...any) error) error
	// Done, when set, is told how many rows the statement changed.
	Done func(affected int64) error
}

// Pipeline runs steps in order in tx. On PostgreSQL they are sent to the
// server together and answered together — one round trip instead of one
// per statement, which matters on paths every order takes; the first
// failing statement aborts the transaction, as it would one by one. On
// SQLite, in process, they simply run one after another. Steps must not
// depend on each other's answers in Go (a later statement may read an
// earlier one's writes: the server runs them in order).
func (tx *Tx) Pipeline(ctx context.Context, steps ...Step) error {
	if len(steps) == 0 {
		return nil
	}
	if tx.conn == nil {
		for _, st := range steps {
			if err := tx.runStep(ctx, st); err != nil {
				return err
			}
		}
		return nil
	}
	return tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db: pipeline: driver connection %T", dc)
		}
		b := &pgx.Batch{}
		for _, st := range steps {
			b.Queue(st.SQL, st.Args...)
		}
		br := c.Conn().SendBatch(ctx, b)
		err := readBatch(br, steps)
		return errors.Join(err, br.Close())
	})
}

func readBatch(br pgx.BatchResults, steps []Step) error {
	for _, st := range steps {
		if st.Row == nil {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			if st.Done != nil {
				if err := st.Done(tag.RowsAffected()); err != nil {
					return err
				}
			}
			continue
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := st.Row(rows.Scan); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if st.Done != nil {
			if err := st.Done(rows.CommandTag().RowsAffected()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tx *Tx) runStep(ctx context.Context, st Step) error {
	if st.Row == nil {
		res, err := tx.ExecContext(ctx, st.SQL, st.Args...)
		if err != nil {
			return err
		}
		if st.Done != nil {
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			return st.Done(n)
		}
		return nil
	}
	rows, err := tx.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := int64(0)
	for rows.Next() {
		n++
		if err := st.Row(rows.Scan); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if st.Done != nil {
		return st.Done(n)
	}
	return nil
}
