package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"

	"golang.org/x/image/vector"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
)

// The demo's product pictures are drawn here, in Go, when the demo loads:
// no image files ship with gbmall. Each goes through the same upload path
// as a seller's (sniffing, size checks, renditions, audit).

// demoPicSize is the side of a drawn picture in pixels.
const demoPicSize = 800

// pic is a square picture being drawn.
type pic struct {
	img *image.RGBA
	z   *vector.Rasterizer
}

func rgb(hex uint32) color.NRGBA {
	return color.NRGBA{uint8(hex >> 16), uint8(hex >> 8), uint8(hex), 255}
}

func rgba(hex uint32, a uint8) color.NRGBA {
	c := rgb(hex)
	c.A = a
	return c
}

// newPic starts a picture with a vertical gradient from top to bottom.
func newPic(top, bottom color.NRGBA) *pic {
	img := image.NewRGBA(image.Rect(0, 0, demoPicSize, demoPicSize))
	for y := range demoPicSize {
		t := float64(y) / (demoPicSize - 1)
		mix := func(a, b uint8) uint8 { return uint8(float64(a)*(1-t) + float64(b)*t + 0.5) }
		c := color.RGBA{mix(top.R, bottom.R), mix(top.G, bottom.G), mix(top.B, bottom.B), 255}
		for x := range demoPicSize {
			img.SetRGBA(x, y, c)
		}
	}
	return &pic{img: img, z: vector.NewRasterizer(demoPicSize, demoPicSize)}
}

// fill paints the shape that path traces in c.
func (p *pic) fill(c color.NRGBA, path func(z *vector.Rasterizer)) {
	p.z.Reset(demoPicSize, demoPicSize)
	path(p.z)
	p.z.Draw(p.img, p.img.Bounds(), image.NewUniform(c), image.Point{})
}

func (p *pic) jpeg() ([]byte, error) {
	var b bytes.Buffer
	err := jpeg.Encode(&b, p.img, &jpeg.Options{Quality: 90})
	return b.Bytes(), err
}

// poly is a closed polygon.
func poly(pts ...float32) func(z *vector.Rasterizer) {
	return func(z *vector.Rasterizer) {
		z.MoveTo(pts[0], pts[1])
		for i := 2; i+1 < len(pts); i += 2 {
			z.LineTo(pts[i], pts[i+1])
		}
		z.ClosePath()
	}
}

// rrect is a rectangle with rounded corners of radius r.
func rrect(x, y, w, h, r float32) func(z *vector.Rasterizer) {
	return func(z *vector.Rasterizer) {
		z.MoveTo(x+r, y)
		z.LineTo(x+w-r, y)
		z.QuadTo(x+w, y, x+w, y+r)
		z.LineTo(x+w, y+h-r)
		z.QuadTo(x+w, y+h, x+w-r, y+h)
		z.LineTo(x+r, y+h)
		z.QuadTo(x, y+h, x, y+h-r)
		z.LineTo(x, y+r)
		z.QuadTo(x, y, x+r, y)
		z.ClosePath()
	}
}

// ellipse centred on cx, cy.
func ellipse(cx, cy, rx, ry float32) func(z *vector.Rasterizer) {
	const k = 0.5523
	return func(z *vector.Rasterizer) {
		z.MoveTo(cx+rx, cy)
		z.CubeTo(cx+rx, cy+k*ry, cx+k*rx, cy+ry, cx, cy+ry)
		z.CubeTo(cx-k*rx, cy+ry, cx-rx, cy+k*ry, cx-rx, cy)
		z.CubeTo(cx-rx, cy-k*ry, cx-k*rx, cy-ry, cx, cy-ry)
		z.CubeTo(cx+k*rx, cy-ry, cx+rx, cy-k*ry, cx+rx, cy)
		z.ClosePath()
	}
}

// strip is a w×h rectangle centred on cx, cy, turned by deg degrees.
func strip(cx, cy, w, h, deg float32) func(z *vector.Rasterizer) {
	a := float64(deg) * math.Pi / 180
	s, c := float32(math.Sin(a)), float32(math.Cos(a))
	pt := func(dx, dy float32) (float32, float32) { return cx + dx*c - dy*s, cy + dx*s + dy*c }
	x1, y1 := pt(-w/2, -h/2)
	x2, y2 := pt(w/2, -h/2)
	x3, y3 := pt(w/2, h/2)
	x4, y4 := pt(-w/2, h/2)
	return poly(x1, y1, x2, y2, x3, y3, x4, y4)
}

// shadow is the soft shadow under an object standing on the floor.
func (p *pic) shadow(cx, cy, rx, ry float32) {
	for i, a := range []uint8{18, 22, 28} {
		f := 1 - float32(i)*0.12
		p.fill(rgba(0x000000, a), ellipse(cx, cy, rx*f, ry*f))
	}
}

// drawShirt: a shirt of colour body with a darker trim.
func drawShirt(bgTop, bgBottom, body, trim uint32) *pic {
	p := newPic(rgb(bgTop), rgb(bgBottom))
	p.shadow(400, 700, 250, 28)
	// Long sleeves, then the body over them.
	p.fill(rgb(body), poly(530, 170, 600, 215, 665, 560, 600, 580, 555, 330))
	p.fill(rgb(body), poly(270, 170, 200, 215, 135, 560, 200, 580, 245, 330))
	p.fill(rgb(trim), poly(665, 560, 600, 580, 606, 600, 670, 580))
	p.fill(rgb(trim), poly(135, 560, 200, 580, 194, 600, 130, 580))
	p.fill(rgba(0x000000, 22), poly(555, 330, 560, 300, 600, 520, 590, 560))
	p.fill(rgba(0x000000, 22), poly(245, 330, 240, 300, 200, 520, 210, 560))
	p.fill(rgb(body), poly(270, 170, 340, 150, 460, 150, 530, 170, 560, 300, 560, 690, 240, 690, 240, 300))
	p.fill(rgb(trim), poly(340, 150, 400, 215, 460, 150, 445, 140, 400, 185, 355, 140))
	p.fill(rgb(body), poly(340, 150, 400, 215, 380, 255, 325, 175))
	p.fill(rgb(body), poly(460, 150, 400, 215, 420, 255, 475, 175))
	p.fill(rgba(trim, 160), rrect(395, 215, 10, 470, 4))
	for y := float32(270); y < 680; y += 80 {
		p.fill(rgb(trim), ellipse(400, y, 9, 9))
	}
	p.fill(rgba(trim, 120), rrect(270, 330, 80, 8, 3))
	return p
}

// drawBedding: a bed made up with a duvet of colour duvet.
func drawBedding(bgTop, bgBottom, duvet, stripe uint32) *pic {
	p := newPic(rgb(bgTop), rgb(bgBottom))
	p.fill(rgb(0x8b6a4f), rrect(110, 170, 580, 250, 36))
	p.fill(rgb(0xa7825f), rrect(130, 190, 540, 210, 28))
	p.shadow(400, 690, 330, 30)
	p.fill(rgb(0xf7f4ee), rrect(100, 380, 600, 300, 24))
	p.fill(rgb(0xffffff), rrect(150, 320, 220, 110, 40))
	p.fill(rgb(0xffffff), rrect(430, 320, 220, 110, 40))
	p.fill(rgba(0x000000, 20), rrect(150, 400, 500, 30, 14))
	p.fill(rgb(duvet), rrect(90, 440, 620, 250, 26))
	for x := float32(130); x < 690; x += 70 {
		p.fill(rgba(stripe, 150), rrect(x, 450, 18, 230, 8))
	}
	p.fill(rgba(0xffffff, 90), rrect(90, 440, 620, 40, 20))
	return p
}

// drawPods: a tub of laundry pods and some loose pods.
func drawPods(bgTop, bgBottom, a, b uint32) *pic {
	p := newPic(rgb(bgTop), rgb(bgBottom))
	p.shadow(360, 680, 220, 26)
	p.fill(rgb(0xffffff), rrect(170, 230, 380, 450, 40))
	p.fill(rgb(0x2f9e74), rrect(150, 190, 420, 80, 24))
	p.fill(rgb(a), rrect(210, 380, 300, 170, 20))
	p.fill(rgba(0xffffff, 200), rrect(240, 430, 240, 22, 10))
	p.fill(rgba(0xffffff, 140), rrect(240, 472, 160, 18, 9))
	pod := func(cx, cy, r float32) {
		p.fill(rgba(0x000000, 30), ellipse(cx+6, cy+r*0.8, r, r*0.35))
		p.fill(rgb(a), ellipse(cx, cy, r, r*0.85))
		p.fill(rgb(b), ellipse(cx-r*0.35, cy+r*0.1, r*0.45, r*0.5))
		p.fill(rgb(0xffffff), ellipse(cx+r*0.35, cy-r*0.05, r*0.35, r*0.42))
		p.fill(rgba(0xffffff, 170), ellipse(cx-r*0.3, cy-r*0.45, r*0.3, r*0.14))
	}
	pod(620, 600, 62)
	pod(540, 680, 48)
	pod(680, 700, 40)
	return p
}

// drawJerky: a kraft bag of jerky with strips in front.
func drawJerky(bgTop, bgBottom, meat, label uint32) *pic {
	p := newPic(rgb(bgTop), rgb(bgBottom))
	p.shadow(330, 670, 200, 24)
	p.fill(rgb(0xc9a57a), poly(160, 170, 500, 170, 520, 670, 140, 670))
	p.fill(rgb(0xb38d63), rrect(160, 160, 340, 40, 8))
	p.fill(rgb(label), rrect(200, 260, 260, 120, 16))
	p.fill(rgba(0xffffff, 220), rrect(230, 300, 200, 18, 9))
	p.fill(rgba(0xffffff, 150), rrect(230, 334, 130, 14, 7))
	p.fill(rgba(0xf4e3c8, 255), rrect(220, 420, 220, 180, 90))
	p.fill(rgb(meat), strip(300, 500, 150, 36, -20))
	p.fill(rgb(meat), strip(360, 520, 150, 36, 15))
	for i, c := range []struct{ x, y, deg float32 }{{560, 620, -12}, {600, 680, 18}, {520, 700, 5}} {
		p.fill(rgba(0x000000, 35), strip(c.x+6, c.y+10, 210, 46, c.deg))
		p.fill(rgb(meat), strip(c.x, c.y, 210, 46, c.deg))
		p.fill(rgba(0xffffff, 40+uint8(i)*10), strip(c.x-4, c.y-12, 170, 8, c.deg))
	}
	return p
}

// drawBackpack: a hiking pack.
func drawBackpack(bgTop, bgBottom, body, trim uint32) *pic {
	p := newPic(rgb(bgTop), rgb(bgBottom))
	p.shadow(400, 700, 220, 26)
	p.fill(rgb(trim), rrect(340, 120, 120, 70, 30))
	p.fill(rgb(body), rrect(230, 160, 340, 530, 90))
	p.fill(rgba(0x000000, 30), rrect(230, 300, 340, 16, 8))
	p.fill(rgb(trim), rrect(280, 430, 240, 210, 40))
	p.fill(rgba(0xffffff, 200), rrect(300, 450, 200, 12, 6))
	p.fill(rgb(trim), rrect(180, 360, 60, 230, 24))
	p.fill(rgb(trim), rrect(560, 360, 60, 230, 24))
	p.fill(rgba(0xffffff, 60), rrect(260, 190, 60, 300, 30))
	return p
}

// demoPictures are the pictures of each demo product, by title; the first
// is the main image.
func demoPictures() map[string][]func() *pic {
	return map[string][]func() *pic{
		demoProducts[0].title: {
			func() *pic { return drawShirt(0xe9f1fb, 0xc8d9f0, 0xffffff, 0x9bb0c9) },
			func() *pic { return drawShirt(0xf3f5f8, 0xdfe4ec, 0x6f98d1, 0x3e5f8f) },
			func() *pic { return drawShirt(0xfbf3e6, 0xefdcc0, 0xffffff, 0xb39b7c) },
		},
		demoProducts[1].title: {
			func() *pic { return drawBedding(0xf5efe6, 0xe6dccd, 0x9aa3ad, 0xd5dae0) },
			func() *pic { return drawBedding(0xf2f1ec, 0xdedbd0, 0xd8c7a8, 0xf3ead9) },
		},
		demoProducts[2].title: {
			func() *pic { return drawPods(0xe5f6ef, 0xbfe6d6, 0x3b82c4, 0x47b36b) },
			func() *pic { return drawPods(0xeef3fb, 0xd2def2, 0x7a5bc4, 0x3bb3b3) },
		},
		demoProducts[3].title: {
			func() *pic { return drawJerky(0xfbefe0, 0xf1d3ad, 0x7a3b22, 0x9d2b1f) },
			func() *pic { return drawJerky(0xfde8e0, 0xf3c4b0, 0x8e2a1a, 0xd0411f) },
		},
		demoReviewProduct.title: {
			func() *pic { return drawBackpack(0xe2f3f3, 0xb7dcdc, 0xe76f3c, 0x2f4858) },
		},
	}
}

// demoReviewProduct carries a phrase the screening sends to a reviewer
// (遥遥领先: comparative claims need evidence), so the reviewers'
// product queue of the demo is not empty.
var demoReviewProduct = demoProduct{"轻量户外登山包 40L 防泼水 背负系统遥遥领先", "sports-outdoor",
	"<p>40 升主仓，防泼水面料，透气背板，可调节肩带与腰带。</p>",
	[]catalog.SKUInput{demoSKU("BP-40-O", "颜色", "活力橙 40L", 25900)}, 30, 0}

// loadDemoImages puts the drawn pictures on the demo products that have
// none, and adds the product waiting for review, once.
func loadDemoImages(ctx context.Context, p *Platform) error {
	var orgID, ownerID string
	err := p.DB.QueryRow(ctx, `SELECT o.id, m.account_id FROM organizations o JOIN memberships m ON m.organization_id = o.id
		WHERE o.kind = 'seller' AND o.status = 'approved' AND m.role = 'owner' ORDER BY o.created_at LIMIT 1`).Scan(&orgID, &ownerID)
	if err != nil {
		return fmt.Errorf("demo seller: %w", err)
	}
	owner, err := p.Identity.PrincipalFor(ctx, ownerID)
	if err != nil {
		return err
	}
	ctx = identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: ownerID, OrganizationID: orgID, Role: "owner", SourceIP: "local"}), owner)
	var n int
	if err := p.DB.QueryRow(ctx, `SELECT count(*) FROM products WHERE organization_id = $1 AND title = $2`, orgID, demoReviewProduct.title).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		d := demoReviewProduct
		prod, err := p.Catalog.CreateProduct(ctx, orgID, catalog.ProductInput{Title: d.title, CategoryID: d.category, Description: d.description, SKUs: d.skus})
		if err != nil {
			return fmt.Errorf("demo product %q: %w", d.title, err)
		}
		if _, err := p.Catalog.List(ctx, prod.ID); err != nil {
			return fmt.Errorf("demo listing %q: %w", d.title, err)
		}
	}
	for title, draws := range demoPictures() {
		var productID string
		var images int
		err := p.DB.QueryRow(ctx, `SELECT p.id, (SELECT count(*) FROM product_images i WHERE i.product_id = p.id) FROM products p
			WHERE p.organization_id = $1 AND p.title = $2 ORDER BY p.created_at LIMIT 1`, orgID, title).Scan(&productID, &images)
		if err != nil {
			return fmt.Errorf("demo product %q: %w", title, err)
		}
		if images > 0 {
			continue
		}
		for _, draw := range draws {
			b, err := draw().jpeg()
			if err != nil {
				return err
			}
			if _, err := p.Images.AddImage(ctx, productID, bytes.NewReader(b)); err != nil {
				return fmt.Errorf("demo image for %q: %w", title, err)
			}
		}
	}
	return nil
}
