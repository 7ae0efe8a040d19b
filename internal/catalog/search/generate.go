package search

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
)

// family is one kind of goods in the generated catalogue: titles are built
// as brand + adjectives + model + noun + spec, the way marketplace sellers
// write them ("华为 Mate 70 Pro 智能手机 雅川青 12GB+256GB").
type family struct {
	brands   []string
	models   []string
	nouns    []string
	adjs     []string
	specs    []string
	priceFen [2]int64 // range of the SKU price
}

var families = []family{
	{
		brands:   []string{"华为", "小米", "OPPO", "vivo", "荣耀", "Apple", "三星", "一加", "realme", "魅族", "iQOO", "Redmi"},
		models:   []string{"Mate 70 Pro", "P70 Art", "K80 至尊版", "Find X8", "iPhone 16 Pro Max", "Galaxy S25 Ultra", "Ace 5", "Note 14", "X200 Pro", "Magic7", "Neo9", "21 Ultra"},
		nouns:    []string{"智能手机", "5G手机", "拍照手机", "游戏手机", "折叠屏手机", "老人手机"},
		adjs:     []string{"雅川青", "曜石黑", "星河银", "冰川蓝", "羽砂白", "钛金属", "全网通", "双卡双待", "骁龙8至尊版", "卫星通信"},
		specs:    []string{"12GB+256GB", "16GB+512GB", "8GB+128GB", "16GB+1TB", "12GB+512GB"},
		priceFen: [2]int64{99900, 1299900},
	},
	{
		brands:   []string{"罗莱", "水星家纺", "富安娜", "梦洁", "无印良品", "MUJI", "博洋", "南极人", "洁丽雅", "Lovo"},
		models:   []string{"", "A类", "100支", "60支长绒棉", "新疆棉", "臻品系列"},
		nouns:    []string{"四件套", "床单", "被套", "枕套", "夏凉被", "蚕丝被", "羽绒被", "乳胶枕", "床笠", "毛巾被"},
		adjs:     []string{"北欧风", "纯棉", "全棉", "天丝", "磨毛", "亚麻", "简约", "日式", "ins风", "新中式", "床上用品", "亲肤", "裸睡", "加厚", "保暖"},
		specs:    []string{"1.5m", "1.8m", "2.0m", "200x230cm", "150x200cm", "单人", "双人"},
		priceFen: [2]int64{4900, 259900},
	},
	{
		brands:   []string{"美的", "格力", "海尔", "苏泰", "九阳", "苏泊尔", "戴森", "Dyson", "飞利浦", "Philips", "松下", "Panasonic", "小熊"},
		models:   []string{"", "V12", "Pro", "Max", "Mini", "S9", "X7", "Plus"},
		nouns:    []string{"空调", "电饭煲", "破壁机", "吸尘器", "吹风机", "空气炸锅", "电热水壶", "洗碗机", "扫地机器人", "加湿器", "电风扇", "净水器"},
		adjs:     []string{"家用", "智能", "变频", "一级能效", "大容量", "静音", "无线", "负离子", "多功能", "小型", "迷你", "官方旗舰"},
		specs:    []string{"1.5匹", "4L", "5L", "3L", "1.7L", "2000W", "13套", "白色", "灰色"},
		priceFen: [2]int64{5900, 899900},
	},
	{
		brands:   []string{"李宁", "安踏", "耐克", "Nike", "阿迪达斯", "adidas", "优衣库", "UNIQLO", "特步", "361度", "鸿星尔克", "ZARA"},
		models:   []string{"", "2025春季", "2025夏季", "秋冬款", "经典款", "联名款"},
		nouns:    []string{"运动鞋", "跑步鞋", "篮球鞋", "卫衣", "T恤", "羽绒服", "冲锋衣", "牛仔裤", "休闲裤", "运动裤", "帆布鞋", "连衣裙"},
		adjs:     []string{"男款", "女款", "男女同款", "情侣", "宽松", "修身", "透气", "轻便", "减震", "防水", "加绒", "纯棉", "潮流", "百搭", "新款"},
		specs:    []string{"S", "M", "L", "XL", "XXL", "39码", "40码", "41码", "42码", "43码", "黑色", "白色", "藏青"},
		priceFen: [2]int64{3900, 199900},
	},
	{
		brands:   []string{"三只松鼠", "良品铺子", "百草味", "伊利", "蒙牛", "农夫山泉", "元气森林", "五常", "金龙鱼", "茅台", "五粮液", "洽洽"},
		models:   []string{"", "礼盒装", "家庭装", "量贩装", "整箱", "组合装"},
		nouns:    []string{"坚果", "每日坚果", "牛奶", "纯牛奶", "矿泉水", "气泡水", "大米", "食用油", "白酒", "瓜子", "牛肉干", "零食大礼包"},
		adjs:     []string{"休闲零食", "年货", "送礼", "原味", "无糖", "低脂", "有机", "东北", "新货", "特产", "进口", "高钙"},
		specs:    []string{"500g", "1kg", "5kg", "250ml*24盒", "550ml*24瓶", "750g", "30包", "53度 500ml"},
		priceFen: [2]int64{990, 299900},
	},
	{
		brands:   []string{"兰蔻", "Lancome", "雅诗兰黛", "Estee Lauder", "欧莱雅", "L'Oreal", "珀莱雅", "薇诺娜", "完美日记", "花西子", "SK-II", "资生堂"},
		models:   []string{"", "小黑瓶", "红腰子", "双抗", "第二代", "新版"},
		nouns:    []string{"精华液", "面霜", "爽肤水", "洗面奶", "防晒霜", "口红", "粉底液", "眼霜", "面膜", "卸妆水", "护手霜", "香水"},
		adjs:     []string{"补水", "保湿", "修护", "敏感肌", "提亮", "控油", "清爽", "滋润", "持久", "哑光", "女士", "礼盒"},
		specs:    []string{"30ml", "50ml", "100ml", "3.5g", "10片", "SPF50+", "#999", "正装"},
		priceFen: [2]int64{2900, 399900},
	},
	{
		brands:   []string{"联想", "Lenovo", "戴尔", "DELL", "惠普", "HP", "华硕", "ASUS", "罗技", "Logitech", "雷蛇", "机械革命"},
		models:   []string{"ThinkPad X1", "拯救者 Y9000P", "XPS 13", "MX Master 3S", "G502", "天选5 Pro", "ROG", "小新 Pro 16", "MateBook 14"},
		nouns:    []string{"笔记本电脑", "游戏本", "轻薄本", "无线鼠标", "机械键盘", "显示器", "蓝牙耳机", "移动硬盘", "平板电脑", "路由器"},
		adjs:     []string{"高性能", "电竞", "办公", "学生", "便携", "RGB", "有线", "无线", "高刷", "4K"},
		specs:    []string{"i7-13700H", "RTX4060", "32G 1T", "16G 512G", "27英寸", "2.5K", "USB-C", "Wi-Fi 7"},
		priceFen: [2]int64{4900, 2999900},
	},
	{
		brands:   []string{"babycare", "好孩子", "帮宝适", "花王", "贝亲", "飞鹤", "美赞臣", "惠氏", "全棉时代", "可优比"},
		models:   []string{"", "皇家", "一段", "二段", "三段", "新生儿"},
		nouns:    []string{"纸尿裤", "拉拉裤", "奶粉", "奶瓶", "婴儿湿巾", "婴儿推车", "儿童安全座椅", "爬行垫", "婴儿床", "儿童玩具"},
		adjs:     []string{"婴儿", "宝宝", "超薄", "透气", "防胀气", "宽口径", "可折叠", "轻便", "安全", "益智"},
		specs:    []string{"NB", "S码", "M码", "L码", "XL码", "800g", "240ml", "80抽"},
		priceFen: [2]int64{1990, 399900},
	},
}

// listedBase anchors the generated listing times; they spread over the year
// before it. Benchmark data needs no business clock, and a fixed anchor
// keeps runs comparable.
var listedBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Generated titles start with one of these now and then, as real ones do.
var commonPrefixes = []string{"2025新款", "官方正品", "包邮", "官方旗舰店", "限时特惠"}

func (f *family) title(r *rand.Rand) string {
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	parts := make([]string, 0, 8)
	if r.IntN(4) == 0 {
		parts = append(parts, pick(commonPrefixes))
	}
	parts = append(parts, pick(f.brands))
	if m := pick(f.models); m != "" {
		parts = append(parts, m)
	}
	// Adjectives are sometimes written without spaces ("北欧风纯棉").
	adjs := make([]string, 1+r.IntN(3))
	for i := range adjs {
		adjs[i] = pick(f.adjs)
	}
	if r.IntN(2) == 0 {
		parts = append(parts, strings.Join(adjs, ""))
	} else {
		parts = append(parts, adjs...)
	}
	// … and often run into the noun ("纯棉床单").
	if noun := pick(f.nouns); r.IntN(2) == 0 {
		parts[len(parts)-1] += noun
	} else {
		parts = append(parts, noun)
	}
	parts = append(parts, pick(f.specs))
	return strings.Join(parts, " ")
}

// generated is one product of a batch.
type generated struct {
	id, skuID, title, attrs string
	priceFen                int64
	listedAt                time.Time
}

// Generate inserts n listed products with one SKU each and their grams, in
// transactions of 1,000 products, for `gbmall bench` and the search
// benchmarks. Titles mix Chinese and English the way marketplace titles do,
// drawn from word lists of brands, models, nouns and adjectives of eight
// kinds of goods; prices spread over each kind's range and listing times
// over a year. The organisation and category must exist. progress, if not
// nil, is called after each committed batch with the number done so far.
// The sequence is seeded, so equal n give equal titles (not equal ids).
func Generate(ctx context.Context, d *db.DB, n int, orgID, categoryID string, progress func(done int)) error {
	r := rand.New(rand.NewPCG(31524, 2015))
	const perTx = 1000
	for done := 0; done < n; {
		size := min(perTx, n-done)
		batch := make([]generated, size)
		for i := range batch {
			f := &families[r.IntN(len(families))]
			price := f.priceFen[0] + r.Int64N(f.priceFen[1]-f.priceFen[0])
			price = price/100*100 - 10 // prices end in .90
			if price <= 0 {
				price = 90
			}
			attrs, err := json.Marshal(map[string]string{"spec": f.specs[r.IntN(len(f.specs))]})
			if err != nil {
				return err
			}
			batch[i] = generated{
				id:       id.New(),
				skuID:    id.New(),
				title:    f.title(r),
				attrs:    string(attrs),
				priceFen: price,
				listedAt: listedBase.Add(-time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Microsecond),
			}
		}
		err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return insertGenerated(ctx, tx, batch, orgID, categoryID)
		})
		if err != nil {
			return fmt.Errorf("search: generate products %d..%d: %w", done, done+size, err)
		}
		done += size
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

func insertGenerated(ctx context.Context, tx *db.Tx, batch []generated, orgID, categoryID string) error {
	const rowsPerStmt = 100
	for start := 0; start < len(batch); start += rowsPerStmt {
		part := batch[start:min(start+rowsPerStmt, len(batch))]
		products := insertStmt(`INSERT INTO products (id, organization_id, category_id, title, description_html, status, min_price_fen, created_at, updated_at, listed_at) VALUES `, "", 10, len(part))
		skus := insertStmt(`INSERT INTO skus (id, product_id, organization_id, code, attributes, price_fen, currency, created_at, updated_at) VALUES `, "", 9, len(part))
		pargs := make([]any, 0, len(part)*10)
		sargs := make([]any, 0, len(part)*9)
		for i, g := range part {
			pargs = append(pargs, g.id, orgID, categoryID, g.title, "<p>"+g.title+"</p>", "listed", g.priceFen, g.listedAt, g.listedAt, g.listedAt)
			sargs = append(sargs, g.skuID, g.id, orgID, "SKU-"+strconv.Itoa(start+i+1), g.attrs, g.priceFen, "CNY", g.listedAt, g.listedAt)
		}
		if _, err := tx.ExecContext(ctx, products, pargs...); err != nil {
			return fmt.Errorf("insert products: %w", err)
		}
		if _, err := tx.ExecContext(ctx, skus, sargs...); err != nil {
			return fmt.Errorf("insert skus: %w", err)
		}
	}
	var rows []gramRow
	for _, g := range batch {
		for _, gram := range Grams(g.title) {
			rows = append(rows, gramRow{gram: gram, productID: g.id})
		}
	}
	return insertGrams(ctx, tx, rows, 500)
}
