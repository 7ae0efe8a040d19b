-- The default category tree of a general marketplace, the qualification
-- rules that go with it, and the claim-screening terms (GB/T 31524 §5.4,
-- §6.3, §6.4; R-5.4-8, R-6.4-5, R-6.4-13). Platform administrators edit
-- all of it afterwards; these rows are only where a fresh platform starts.

-- R-6.4-5 (§6.4): categories whose goods are in the compulsory product
-- certification (CCC) catalogue refuse listing without a certificate number.
ALTER TABLE categories ADD COLUMN certificate_required BOOLEAN NOT NULL DEFAULT FALSE;

-- Selling non-prescription drugs online needs the drug business licence
-- (药品管理法 art. 62; 药品网络销售监督管理办法).
INSERT INTO qualification_types (code, name_zh, name_en, issuer_zh, issuer_en) VALUES
 ('drug_business_license', '药品经营许可证', 'Drug business licence', '药品监督管理部门', 'Medical products administration');
INSERT INTO qualification_requirements (org_kind, code, required) VALUES
 ('seller', 'drug_business_license', FALSE);

-- Top-level categories. Their flags describe the whole branch for people;
-- the rules that bind a product are its leaf's, joined with every
-- ancestor's qualifications and prohibition, review and certification flags.
INSERT INTO categories (id, parent_id, name_zh, name_en, sort, is_leaf, prohibited, review_required, returnable_7d, commission_bp, certificate_required, updated_at) VALUES
 ('food',        NULL, '食品生鲜', 'Food and fresh produce',     10,  FALSE, FALSE, FALSE, TRUE,  300, FALSE, '2026-11-01 00:00:00'),
 ('cosmetics',   NULL, '美妆个护', 'Beauty and personal care',   20,  FALSE, FALSE, FALSE, TRUE,  600, FALSE, '2026-11-01 00:00:00'),
 ('medical',     NULL, '医药健康', 'Medicine and health',        30,  FALSE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('baby',        NULL, '母婴玩具', 'Mother, baby and toys',      40,  FALSE, FALSE, FALSE, TRUE,  400, FALSE, '2026-11-01 00:00:00'),
 ('apparel',     NULL, '服饰鞋包', 'Apparel, shoes and bags',    50,  FALSE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('home',        NULL, '家居家装', 'Home and furnishing',        60,  FALSE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('electronics', NULL, '数码家电', 'Electronics and appliances', 70,  FALSE, FALSE, FALSE, TRUE,  300, FALSE, '2026-11-01 00:00:00'),
 ('books',       NULL, '图书音像', 'Books and media',            80,  FALSE, FALSE, FALSE, TRUE,  300, FALSE, '2026-11-01 00:00:00'),
 ('digital',     NULL, '数字内容', 'Digital content',            90,  FALSE, FALSE, FALSE, FALSE, 600, FALSE, '2026-11-01 00:00:00'),
 ('sports',      NULL, '运动户外', 'Sports and outdoors',        100, FALSE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00');

-- Leaves. returnable_7d is FALSE for what the 7-day no-reason return
-- measures exclude (网络购买商品七日无理由退货暂行办法 arts. 6–7): fresh and
-- perishable goods, customised goods, digital downloads, delivered
-- newspapers and periodicals, and goods unsuitable for return once
-- unsealed (underwear, medicines and medical consumables, for hygiene).
INSERT INTO categories (id, parent_id, name_zh, name_en, sort, is_leaf, prohibited, review_required, returnable_7d, commission_bp, certificate_required, updated_at) VALUES
 ('food-snacks',              'food',        '休闲零食',         'Snacks',                          10, TRUE, FALSE, FALSE, TRUE,  400, FALSE, '2026-11-01 00:00:00'),
 ('food-grain-oil',           'food',        '粮油调味',         'Grain, oil and seasonings',       20, TRUE, FALSE, FALSE, TRUE,  300, FALSE, '2026-11-01 00:00:00'),
 ('food-beverages',           'food',        '饮料冲调',         'Beverages',                       30, TRUE, FALSE, FALSE, TRUE,  400, FALSE, '2026-11-01 00:00:00'),
 ('food-fresh-produce',       'food',        '新鲜水果蔬菜',     'Fresh fruit and vegetables',      40, TRUE, FALSE, FALSE, FALSE, 300, FALSE, '2026-11-01 00:00:00'),
 ('food-meat-seafood',        'food',        '肉禽蛋品水产',     'Meat, eggs and seafood',          50, TRUE, FALSE, FALSE, FALSE, 300, FALSE, '2026-11-01 00:00:00'),
 ('food-health',              'food',        '保健食品',         'Health foods',                    60, TRUE, FALSE, TRUE,  TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('cosmetics-skincare',       'cosmetics',   '面部护肤',         'Skincare',                        10, TRUE, FALSE, FALSE, TRUE,  600, FALSE, '2026-11-01 00:00:00'),
 ('cosmetics-makeup',         'cosmetics',   '彩妆香水',         'Makeup and fragrance',            20, TRUE, FALSE, FALSE, TRUE,  600, FALSE, '2026-11-01 00:00:00'),
 ('cosmetics-personal-care',  'cosmetics',   '洗护清洁',         'Hair, body and oral care',        30, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('cosmetics-special',        'cosmetics',   '特殊化妆品（染烫、美白、防晒、防脱）', 'Special cosmetics (hair dye and perm, whitening, sunscreen, anti-hair-loss)', 40, TRUE, FALSE, TRUE, TRUE, 600, FALSE, '2026-11-01 00:00:00'),
 ('medical-devices',          'medical',     '家用医疗器械',     'Home medical devices',            10, TRUE, FALSE, TRUE,  TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('medical-supplies',         'medical',     '医用耗材（口罩、敷料）', 'Medical consumables (masks, dressings)', 20, TRUE, FALSE, TRUE, FALSE, 500, FALSE, '2026-11-01 00:00:00'),
 ('medical-otc',              'medical',     '非处方药',         'Over-the-counter medicines',      30, TRUE, FALSE, TRUE,  FALSE, 500, FALSE, '2026-11-01 00:00:00'),
 ('medical-prescription',     'medical',     '处方药',           'Prescription drugs',              40, TRUE, TRUE,  FALSE, FALSE, 500, FALSE, '2026-11-01 00:00:00'),
 ('baby-formula',             'baby',        '婴幼儿配方乳粉',   'Infant formula',                  10, TRUE, FALSE, TRUE,  TRUE,  300, FALSE, '2026-11-01 00:00:00'),
 ('baby-diapers',             'baby',        '尿裤湿巾',         'Diapers and wipes',               20, TRUE, FALSE, FALSE, TRUE,  400, FALSE, '2026-11-01 00:00:00'),
 ('baby-toys',                'baby',        '儿童玩具',         'Toys',                            30, TRUE, FALSE, FALSE, TRUE,  500, TRUE,  '2026-11-01 00:00:00'),
 ('baby-clothing',            'baby',        '童装童鞋',         'Children''s clothing and shoes',  40, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('apparel-womens',           'apparel',     '女装',             'Women''s clothing',               10, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('apparel-mens',             'apparel',     '男装',             'Men''s clothing',                 20, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('apparel-underwear',        'apparel',     '内衣袜子',         'Underwear and socks',             30, TRUE, FALSE, FALSE, FALSE, 500, FALSE, '2026-11-01 00:00:00'),
 ('apparel-shoes-bags',       'apparel',     '鞋靴箱包',         'Shoes and bags',                  40, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('home-kitchenware',         'home',        '厨具餐具',         'Kitchenware and tableware',       10, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('home-textiles',            'home',        '床上用品',         'Bedding and home textiles',       20, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('home-cleaning',            'home',        '收纳清洁',         'Storage and cleaning',            30, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('home-custom-furniture',    'home',        '定制家具',         'Made-to-measure furniture',       40, TRUE, FALSE, FALSE, FALSE, 400, FALSE, '2026-11-01 00:00:00'),
 ('electronics-phones',       'electronics', '手机',             'Mobile phones',                   10, TRUE, FALSE, FALSE, TRUE,  200, TRUE,  '2026-11-01 00:00:00'),
 ('electronics-computers',    'electronics', '电脑办公',         'Computers and office',            20, TRUE, FALSE, FALSE, TRUE,  200, TRUE,  '2026-11-01 00:00:00'),
 ('electronics-appliances',   'electronics', '家用电器',         'Household appliances',            30, TRUE, FALSE, FALSE, TRUE,  300, TRUE,  '2026-11-01 00:00:00'),
 ('electronics-accessories',  'electronics', '数码配件（手机壳、贴膜、数据线）', 'Electronics accessories (cases, screen protectors, cables)', 40, TRUE, FALSE, FALSE, TRUE, 500, FALSE, '2026-11-01 00:00:00'),
 ('books-print',              'books',       '图书',             'Books',                           10, TRUE, FALSE, FALSE, TRUE,  300, FALSE, '2026-11-01 00:00:00'),
 ('books-periodicals',        'books',       '报纸期刊',         'Newspapers and periodicals',      20, TRUE, FALSE, FALSE, FALSE, 300, FALSE, '2026-11-01 00:00:00'),
 ('books-audio-video',        'books',       '音像制品',         'Audio and video recordings',      30, TRUE, FALSE, FALSE, TRUE,  300, FALSE, '2026-11-01 00:00:00'),
 ('digital-ebooks',           'digital',     '电子书',           'E-books',                         10, TRUE, FALSE, FALSE, FALSE, 600, FALSE, '2026-11-01 00:00:00'),
 ('digital-software',         'digital',     '软件下载',         'Software downloads',              20, TRUE, FALSE, FALSE, FALSE, 600, FALSE, '2026-11-01 00:00:00'),
 ('sports-fitness',           'sports',      '健身器材',         'Fitness equipment',               10, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('sports-outdoor',           'sports',      '户外装备',         'Outdoor gear',                    20, TRUE, FALSE, FALSE, TRUE,  500, FALSE, '2026-11-01 00:00:00'),
 ('sports-controlled-knives', 'sports',      '管制刀具',         'Controlled knives',               30, TRUE, TRUE,  FALSE, FALSE, 500, FALSE, '2026-11-01 00:00:00');

-- R-5.4-8 (§5.4): what a seller must hold, beyond the business licence,
-- to list in a category (E-Commerce Law art. 12; 食品安全法 art. 35;
-- 医疗器械监督管理条例 arts. 41–42; 化妆品监督管理条例; 出版管理条例 art. 35;
-- 药品管理法 art. 62). Set on the branch and on each of its leaves.
INSERT INTO category_qualifications (category_id, code) VALUES
 ('food', 'food_business_license'),
 ('food-snacks', 'food_business_license'),
 ('food-grain-oil', 'food_business_license'),
 ('food-beverages', 'food_business_license'),
 ('food-fresh-produce', 'food_business_license'),
 ('food-meat-seafood', 'food_business_license'),
 ('food-health', 'food_business_license'),
 ('cosmetics', 'cosmetics_license'),
 ('cosmetics-skincare', 'cosmetics_license'),
 ('cosmetics-makeup', 'cosmetics_license'),
 ('cosmetics-personal-care', 'cosmetics_license'),
 ('cosmetics-special', 'cosmetics_license'),
 ('medical-devices', 'medical_device_license'),
 ('medical-supplies', 'medical_device_license'),
 ('medical-otc', 'drug_business_license'),
 ('baby-formula', 'food_business_license'),
 ('books', 'publication_license'),
 ('books-print', 'publication_license'),
 ('books-periodicals', 'publication_license'),
 ('books-audio-video', 'publication_license'),
 ('digital-ebooks', 'publication_license');

-- R-6.4-13 (§6.4): absolute terms banned by the Advertising Law art. 9
-- (items 3 and 2: superlatives such as 国家级, 最高级, 最佳; the names or
-- images of state organs and their staff), checked in every category.
INSERT INTO claim_terms (id, term, category_id, action, note, created_at) VALUES
 ('ct-0001', '国家级', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0002', '世界级', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0003', '全球级', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0004', '最高级', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0005', '最佳', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0006', '最好', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0007', '最优', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0008', '最低价', NULL, 'block', '广告法第九条第三项；明码标价和禁止价格欺诈规定', '2026-11-01 00:00:00'),
 ('ct-0009', '最便宜', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0010', '最先进', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0011', '最高档', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0012', '第一', NULL, 'block', '广告法第九条第三项：绝对化用语（含全网第一、销量第一）', '2026-11-01 00:00:00'),
 ('ct-0013', 'NO.1', NULL, 'review', '广告法第九条第三项：绝对化用语；色号、型号等用法人工复核', '2026-11-01 00:00:00'),
 ('ct-0014', 'TOP1', NULL, 'review', '广告法第九条第三项：绝对化用语；型号等用法人工复核', '2026-11-01 00:00:00'),
 ('ct-0015', '唯一', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0016', '独一无二', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0017', '首个', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0018', '首家', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0019', '顶级', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0020', '顶尖', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0021', '极致', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0022', '极品', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0023', '至尊', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0024', '史无前例', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0025', '空前绝后', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0026', '绝无仅有', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0027', '100%有效', NULL, 'block', '广告法第九条第三项；第二十八条：保证性用语', '2026-11-01 00:00:00'),
 ('ct-0028', '百分之百有效', NULL, 'block', '广告法第九条第三项；第二十八条：保证性用语', '2026-11-01 00:00:00'),
 ('ct-0029', '万能', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0030', '绝对', NULL, 'block', '广告法第九条第三项：绝对化用语', '2026-11-01 00:00:00'),
 ('ct-0031', '国家机关推荐', NULL, 'block', '广告法第九条第二项：使用国家机关名义', '2026-11-01 00:00:00'),
 ('ct-0032', '国家领导人', NULL, 'block', '广告法第九条第二项：使用国家机关工作人员名义', '2026-11-01 00:00:00'),
 ('ct-0033', '特供', NULL, 'block', '广告法第九条第二项：特供、专供国家机关', '2026-11-01 00:00:00'),
 ('ct-0034', '质量免检', NULL, 'block', '产品质量法：免检制度已取消', '2026-11-01 00:00:00'),
 ('ct-0035', '全网首发', NULL, 'review', '首发须有证明，人工复核', '2026-11-01 00:00:00'),
 ('ct-0036', '遥遥领先', NULL, 'review', '比较性宣传须有依据，人工复核', '2026-11-01 00:00:00'),
 ('ct-0037', '领导品牌', NULL, 'review', '比较性宣传须有依据，人工复核', '2026-11-01 00:00:00'),
 ('ct-0038', '专供', NULL, 'review', '专供国家机关属禁用，出口专供等需人工复核', '2026-11-01 00:00:00');

-- Claims food and cosmetics may not make (食品安全法 arts. 71, 73: no
-- disease prevention or cure; 化妆品监督管理条例 art. 43 and 化妆品标签管理
-- 办法: no medical efficacy). They apply to the branch and every leaf below
-- it. Health-function words go to a reviewer, who checks the product's
-- registration (保健食品 blue hat; special-cosmetics registration).
INSERT INTO claim_terms (id, term, category_id, action, note, created_at) VALUES
 ('ct-0101', '治疗', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0102', '治愈', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0103', '根治', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0104', '防癌', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0105', '抗癌', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0106', '药到病除', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0107', '降血压', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0108', '降血糖', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0109', '降血脂', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0110', '包治百病', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0111', '替代药物', 'food', 'block', '广告法第二十八条：保健食品不得声称代替药物', '2026-11-01 00:00:00'),
 ('ct-0112', '疗效', 'food', 'block', '食品安全法第七十三条：不得涉及疾病预防、治疗功能', '2026-11-01 00:00:00'),
 ('ct-0113', '增强免疫力', 'food', 'review', '仅注册或备案的保健食品可声称，人工核对批准文号', '2026-11-01 00:00:00'),
 ('ct-0114', '减肥', 'food', 'review', '普通食品不得声称保健功能，人工核对', '2026-11-01 00:00:00'),
 ('ct-0115', '排毒', 'food', 'review', '普通食品不得声称保健功能，人工核对', '2026-11-01 00:00:00'),
 ('ct-0201', '治疗', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0202', '治愈', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0203', '根治', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0204', '防癌', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0205', '抗癌', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0206', '药到病除', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0207', '降血压', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0208', '降血糖', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0209', '消炎', 'cosmetics', 'block', '化妆品监督管理条例第四十三条：不得明示或暗示医疗作用', '2026-11-01 00:00:00'),
 ('ct-0210', '药妆', 'cosmetics', 'block', '国家药监局：化妆品不得宣称“药妆”“医学护肤品”', '2026-11-01 00:00:00'),
 ('ct-0211', '医学护肤', 'cosmetics', 'block', '国家药监局：化妆品不得宣称“药妆”“医学护肤品”', '2026-11-01 00:00:00'),
 ('ct-0212', '干细胞', 'cosmetics', 'block', '国家药监局：化妆品不得宣称含干细胞', '2026-11-01 00:00:00'),
 ('ct-0213', '无副作用', 'cosmetics', 'block', '化妆品标签管理办法：不得使用绝对化的安全宣称', '2026-11-01 00:00:00'),
 ('ct-0214', '美白', 'cosmetics', 'review', '祛斑美白属特殊化妆品，人工核对注册证', '2026-11-01 00:00:00'),
 ('ct-0215', '防脱', 'cosmetics', 'review', '防脱发属特殊化妆品，人工核对注册证', '2026-11-01 00:00:00'),
 ('ct-0216', '修复', 'cosmetics', 'review', '修护功效须有功效评价依据，人工复核', '2026-11-01 00:00:00');
