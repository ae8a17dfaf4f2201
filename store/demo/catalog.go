package demo

// category is a kind of shop with the products it sells.
type category struct {
	labels []string // shop-name words, such as "Beauty"
	items  []item
}

// item is a product line; each variant makes one product ("Vitamin C Serum"
// + "30ml").
type item struct {
	base     string
	variants []string
}

var (
	mlSizes      = []string{"15ml", "30ml", "50ml", "100ml", "150ml", "200ml", "Twin Pack"}
	shades       = []string{"01 Rose", "02 Coral", "03 Nude", "04 Berry", "05 Cherry", "Set of 3"}
	phoneModels  = []string{"iPhone 15", "iPhone 15 Pro Max", "iPhone 14", "iPhone 13", "Samsung Galaxy S24", "Samsung Galaxy A55", "Redmi Note 13", "OPPO A78", "vivo Y36"}
	techColours  = []string{"Black", "White", "Pink", "Navy", "Sage Green"}
	clothColours = []string{"Black", "White", "Beige", "Olive", "Navy", "Dusty Pink"}
	clothSizes   = []string{"S", "M", "L", "XL", "2XL"}
	homeColours  = []string{"White", "Grey", "Sage", "Terracotta", "Black"}
	packs        = []string{"", "Twin Pack", "3-Month Supply"}
	petSizes     = []string{"S", "M", "L", "XL"}
	toyVariants  = []string{"", "Pink", "Blue", "Gift Box"}
)

// fashionVariants are "Black, M" and so on: product names with commas, which
// the CSV writer must quote.
var fashionVariants = func() []string {
	var out []string
	for _, c := range clothColours {
		for _, s := range clothSizes {
			out = append(out, "- "+c+", "+s)
		}
	}
	return out
}()

var categories = []category{
	{
		labels: []string{"Beauty", "Skincare", "Cosmetics"},
		items: []item{
			{"Vitamin C Serum", mlSizes},
			{"Hyaluronic Acid Serum", mlSizes},
			{"Niacinamide 10% Serum", mlSizes},
			{"Hydrating Toner", mlSizes},
			{"Gentle Foam Cleanser", mlSizes},
			{"Sunscreen SPF50+ PA++++", mlSizes},
			{"Retinol Night Cream", mlSizes},
			{"Aloe Vera Soothing Gel", mlSizes},
			{"Micellar Cleansing Water", mlSizes},
			{"Peptide Eye Cream", mlSizes},
			{"Ceramide Body Lotion", mlSizes},
			{"Argan Hair Serum", mlSizes},
			{"Velvet Lip Tint", shades},
			{"Cushion Foundation SPF35", shades},
			{"Cream Blush Stick", shades},
			{"Waterproof Mascara", []string{"Black", "Brown", "Twin Pack"}},
			{"Brow Pencil", []string{"Dark Brown", "Grey Brown", "Ash"}},
			{"Hydrogel Sheet Mask", []string{"Pack of 5", "Pack of 10", "Pack of 20"}},
		},
	},
	{
		labels: []string{"Mobile", "Gadgets", "Tech"},
		items: []item{
			{"Phone Case", phoneModels},
			{"Clear MagSafe Case", phoneModels},
			{"Shockproof Case", phoneModels},
			{"Tempered Glass Screen Protector", phoneModels},
			{"Camera Lens Protector", phoneModels},
			{"USB-C Fast Charger 20W", techColours},
			{"Braided USB-C Cable 1m", techColours},
			{"Magnetic Power Bank 10000mAh", techColours},
			{"Wireless Earbuds", techColours},
			{"Phone Ring Holder", techColours},
			{"Car Phone Mount", []string{"Vent Clip", "Dashboard", "Windshield"}},
			{"Selfie Stick Tripod", []string{"Black", "White"}},
			{"Smart Watch Strap 45mm", techColours},
		},
	},
	{
		labels: []string{"Fashion", "Apparel", "Wear"},
		items: []item{
			{"Oversized T-Shirt", fashionVariants},
			{"Linen Button Shirt", fashionVariants},
			{"Wide Leg Pants", fashionVariants},
			{"Cargo Pants", fashionVariants},
			{"Pleated Midi Skirt", fashionVariants},
			{"Knit Cardigan", fashionVariants},
			{"Zip Hoodie", fashionVariants},
			{"Seamless Sports Bra", fashionVariants},
			{"Scrunchies", []string{"Pack of 6", "Pack of 12", "Satin Pack of 6"}},
		},
	},
	{
		labels: []string{"Home", "Living", "Kitchen"},
		items: []item{
			{"Stainless Steel Water Bottle 750ml", homeColours},
			{"Glass Food Container Set of 5", []string{"", "Bamboo Lid"}},
			{"Silicone Spatula Set", homeColours},
			{"Air Fryer Paper Liners 100pcs", []string{"Round", "Square"}},
			{"Vacuum Storage Bags", []string{"Pack of 6", "Pack of 12"}},
			{"Microfiber Cleaning Cloths 12pcs", []string{""}},
			{"LED Strip Lights", []string{"5m", "10m", "20m"}},
			{"Ultrasonic Aroma Diffuser 300ml", homeColours},
			{"Bamboo Cutting Board", []string{"Small", "Medium", "Large"}},
			{"Non-Stick Frying Pan", []string{"20cm", "24cm", "28cm"}},
			{"Cotton Bath Towel", homeColours},
			{"Collapsible Laundry Basket", homeColours},
			{"Ceramic Mug 350ml", homeColours},
		},
	},
	{
		labels: []string{"Wellness", "Health", "Nutrition"},
		items: []item{
			{"Vitamin C 1000mg 60 Tablets", packs},
			{"Marine Collagen Powder 300g", packs},
			{"Magnesium Glycinate 120 Capsules", packs},
			{"Whey Protein 1kg", []string{"Chocolate", "Vanilla", "Strawberry", "Unflavoured"}},
			{"Probiotic 30 Capsules", packs},
			{"Electrolyte Drink Mix 20 Sachets", []string{"Lemon", "Berry", "Orange"}},
			{"Fish Oil Omega-3 90 Softgels", packs},
			{"Zinc + Vitamin D3 60 Tablets", packs},
			{"Resistance Bands Set", []string{"Light", "Medium", "Heavy"}},
			{"Yoga Mat 6mm", homeColours},
			{"Massage Gun Mini", techColours},
		},
	},
	{
		labels: []string{"Pets", "Pet Supply", "Paws"},
		items: []item{
			{"Tofu Cat Litter 6L", []string{"Original", "Green Tea", "Peach"}},
			{"Dog Chew Toy", petSizes},
			{"Cat Scratching Post", []string{"60cm", "80cm", "120cm"}},
			{"Pet Grooming Glove", []string{"Left", "Right", "Pair"}},
			{"Automatic Water Fountain 2L", homeColours},
			{"No-Pull Dog Harness", petSizes},
			{"Cat Teaser Wand", []string{"Feather", "Mouse", "Set of 3"}},
			{"Pet Bed Donut", petSizes},
			{"Grain-Free Cat Treats 80g", []string{"Chicken", "Tuna", "Salmon"}},
			{"Dog Poop Bags 16 Rolls", []string{"Unscented", "Lavender"}},
		},
	},
	{
		labels: []string{"Toys", "Kids", "Playroom"},
		items: []item{
			{"Building Blocks 500pcs", toyVariants},
			{"Plush Teddy Bear 30cm", toyVariants},
			{"Magnetic Tiles 60pcs", toyVariants},
			{"RC Stunt Car", toyVariants},
			{"LCD Drawing Tablet 10 inch", toyVariants},
			{"Jigsaw Puzzle 1000 Pieces", []string{"World Map", "Cats", "Night Sky"}},
			{"Kinetic Sand 1kg", toyVariants},
			{"Wooden Train Set", toyVariants},
			{"Bubble Machine", toyVariants},
			{"Slime Making Kit", toyVariants},
		},
	},
}

// brands are the first word of shop names.
var brands = []string{
	"Acme", "Lumi", "Nova", "Kira", "Bloom", "Sunny", "Oak & Ivy", "Pixel", "Zen", "Mira",
	"Coco", "Aurora", "Bamboo", "Velvet", "Orbit", "Maple", "Luna", "Peak", "Tidy", "Happy",
	"Jade", "Koa", "Pearl", "Sora", "Tala", "Nimbus", "Ember", "Willow", "Indigo", "Rio",
}
