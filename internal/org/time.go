package org

import (
	"database/sql"
	"time"

	"gbmall/internal/platform/clock"
)

var clockShanghai = clock.Shanghai

type nullTime struct{ sql.NullTime }

func (n nullTime) ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}
