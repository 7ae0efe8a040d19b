package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/catalog/search"
	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/inventory"
	"gbmall/internal/order"
	"gbmall/internal/org"
	"gbmall/internal/payment"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/jobs"
)

// Platform is an opened gbmall: database, clock, keys and services. Every
// subcommand that touches data builds one.
type Platform struct {
	DB        *db.DB
	Clock     clock.Clock
	Keys      *fieldcrypt.Keyring
	Trail     *audit.Trail
	Identity  *identity.Service
	Orgs      *org.Service
	Documents *document.Store
	Catalog   *catalog.Service
	Images    *catalog.ImageStore
	Inventory *inventory.Service
	Orders    *order.Service
	Payments  *payment.Service
	Scheduler *jobs.Scheduler
	Log       *slog.Logger
	DataDir   string
}

// Open opens the database (migrating it when migrate is set) and builds the
// services.
func Open(ctx context.Context, c Common, getenv func(string) string, log *slog.Logger, migrate bool, idcfg identity.Config) (*Platform, error) {
	clk, err := clock.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", c.DataDir, err)
	}
	keys, err := fieldcrypt.Load(c.DataDir, getenv)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, db.Options{URL: c.Database, DataDir: c.DataDir})
	if err != nil {
		return nil, err
	}
	if migrate {
		applied, err := d.Migrate(ctx)
		if err != nil {
			d.Close()
			return nil, err
		}
		if len(applied) > 0 {
			log.Info("migrated", "applied", applied, "dialect", string(d.Dialect()))
		}
	} else if pending, err := d.Pending(ctx); err == nil && len(pending) > 0 {
		d.Close()
		return nil, fmt.Errorf("the database needs migrating first (%d pending: run gbmall migrate)", len(pending))
	}
	trail := audit.New(clk)
	p := &Platform{DB: d, Clock: clk, Keys: keys, Trail: trail, Log: log, DataDir: c.DataDir}
	p.Identity = identity.NewService(d, clk, keys, trail, idcfg)
	p.Documents = document.NewStore(d, trail, clk, c.DataDir)
	p.Orgs = org.NewService(d, clk, keys, trail, p.Identity, p.Documents)
	p.Catalog = catalog.NewService(d, clk, trail, p.Orgs)
	ix := search.New(d)
	p.Catalog.Indexer, p.Catalog.Finder = ix, ix
	p.Images = catalog.NewImageStore(p.Catalog, c.DataDir)
	p.Inventory = inventory.NewService(d, clk, trail, keys)
	p.Catalog.Stock = p.Inventory
	p.Orders = order.NewService(d, clk, trail, keys, p.Catalog, p.Inventory)
	p.Orders.Log = log
	payKey, err := payment.LoadKey(c.DataDir, getenv)
	if err != nil {
		d.Close()
		return nil, err
	}
	p.Payments = payment.NewService(d, clk, trail, p.Orgs, p.Orders, payKey, log)
	p.Payments.Wire()
	p.Scheduler = jobs.NewScheduler(d, clk, log, jobs.DefaultOwner())
	p.registerJobs()
	return p, nil
}

// registerJobs lists every periodic job; later capabilities add theirs here.
func (p *Platform) registerJobs() {
	p.Scheduler.Register(jobs.Periodic{Name: "identity.expire-sessions", Every: 5 * time.Minute, DailyAt: -1, Run: p.Identity.ExpireSessions})
	// R-5.1-2, R-6.1-1, R-5.4-4: expiry warnings, re-verification, cessation — daily at 01:00 Beijing time.
	p.Scheduler.Register(jobs.Periodic{Name: "org.daily-check", DailyAt: 1, Run: p.Orgs.DailyCheck})
	// R-6.4-11: expired batches are written off just after midnight, Beijing time (they stop selling at once anyway).
	p.Scheduler.Register(jobs.Periodic{Name: "inventory.expire-batches", DailyAt: 0, Run: p.Inventory.ExpireBatches})
	// R-6.6-7: unpaid orders are cancelled at pay_before, their stock released.
	p.Scheduler.Register(jobs.Periodic{Name: "order.payment-deadline", Every: time.Minute, DailyAt: -1, Run: p.Orders.ExpireUnpaid})
	// R-6.6-8: paid orders not accepted within 24 hours are cancelled and owed a full refund.
	p.Scheduler.Register(jobs.Periodic{Name: "order.acceptance-deadline", Every: 5 * time.Minute, DailyAt: -1, Run: p.Orders.ExpireUnaccepted})
	// R-6.5-5, R-8.2-6: active query of pending trades, closing, refunds, settlements, daily reconciliation.
	p.Payments.RegisterJobs(p.Scheduler)
}

// Close releases the database.
func (p *Platform) Close() error { return p.DB.Close() }
