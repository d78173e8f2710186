"""What the title cutter and the VIN decoder know about makes: names, models of several words, WMIs.

Plain data. A make or model missing here only means a title is cut less well (the structured
values a page publishes always win), so extend the lists when a dealer's titles need it.
"""
from __future__ import annotations

MAKES = (
    "Acura", "Alfa Romeo", "Aston Martin", "Audi", "Bentley", "BMW", "Buick", "Cadillac", "Chevrolet",
    "Chrysler", "Daewoo", "Dodge", "Eagle", "Ferrari", "Fiat", "Fisker", "Ford", "Genesis", "Geo", "GMC",
    "Honda", "Hummer", "Hyundai", "Infiniti", "Isuzu", "Jaguar", "Jeep", "Karma", "Kia", "Lamborghini",
    "Land Rover", "Lexus", "Lincoln", "Lotus", "Lucid", "Maserati", "Maybach", "Mazda", "McLaren",
    "Mercedes-Benz", "Mercury", "Mini", "Mitsubishi", "Nissan", "Oldsmobile", "Plymouth", "Polestar",
    "Pontiac", "Porsche", "Ram", "Rivian", "Rolls-Royce", "Saab", "Saturn", "Scion", "Smart", "Subaru",
    "Suzuki", "Tesla", "Toyota", "VinFast", "Volkswagen", "Volvo",
    # motorcycles and others dealers list beside cars
    "Ducati", "Harley-Davidson", "Indian", "Kawasaki", "KTM", "Triumph", "Yamaha", "Freightliner",
)

# Other spellings found in titles -> the make's name above.
MAKE_ALIASES = {
    "chevy": "Chevrolet", "vw": "Volkswagen", "mercedes": "Mercedes-Benz", "mercedes benz": "Mercedes-Benz",
    "range rover": "Land Rover", "rolls royce": "Rolls-Royce", "harley davidson": "Harley-Davidson",
    "alfa": "Alfa Romeo",
}

# Models of more than one word, kept whole when cut from a title (longest listed first per make).
MULTI_WORD_MODELS = {
    "Chevrolet": ("Silverado 1500", "Silverado 2500HD", "Silverado 3500HD", "Silverado 2500", "Express 2500",
                  "Express 3500", "Monte Carlo", "Trailblazer EV", "Equinox EV", "Blazer EV", "Bolt EUV",
                  "Bolt EV"),
    "GMC": ("Sierra 1500", "Sierra 2500HD", "Sierra 3500HD", "Yukon XL", "Savana 2500", "Hummer EV"),
    "Ram": ("ProMaster City", "ProMaster 1500", "ProMaster 2500", "ProMaster 3500", "1500 Classic"),
    "Dodge": ("Grand Caravan", "Ram 1500", "Ram 2500", "Ram 3500"),
    "Chrysler": ("Town & Country", "Town and Country"),
    "Jeep": ("Grand Cherokee L", "Grand Cherokee", "Grand Wagoneer", "Wrangler Unlimited",
             "Gladiator Mojave"),
    "Ford": ("Mustang Mach-E", "Bronco Sport", "Transit Connect", "F-150 Lightning", "F-250 Super Duty",
             "F-350 Super Duty", "Expedition MAX", "E-Transit", "Explorer Sport Trac", "Crown Victoria"),
    "Land Rover": ("Range Rover Sport", "Range Rover Velar", "Range Rover Evoque", "Range Rover",
                   "Discovery Sport", "Defender 110", "Defender 90"),
    "Toyota": ("Land Cruiser", "Grand Highlander", "Corolla Cross", "Prius Prime", "RAV4 Prime",
               "GR Supra", "GR Corolla", "Sequoia Hybrid"),
    "Tesla": ("Model 3", "Model S", "Model X", "Model Y"),
    "Hyundai": ("Santa Fe Sport", "Santa Fe", "Santa Cruz", "Ioniq 5", "Ioniq 6", "Kona Electric",
                "Elantra GT"),
    "Kia": ("Niro EV", "Soul EV"),
    "Mazda": ("MX-5 Miata", "Mazda3 Hatchback"),
    "Mercedes-Benz": ("AMG GT", "Sprinter 2500", "Sprinter 3500", "Metris Cargo"),
    "Mini": ("Cooper Countryman", "Cooper Clubman", "Cooper S", "Cooper SE"),
    "Nissan": ("Rogue Sport", "Frontier Pro-4X"),
    "Volkswagen": ("Atlas Cross Sport", "Golf GTI", "Golf R", "Jetta GLI", "Passat CC"),
    "Aston Martin": ("Vantage Roadster",),
    "Alfa Romeo": ("4C Spider",),
    "Porsche": ("Cayenne Coupe", "Taycan Cross Turismo", "Macan Electric"),
    "Volvo": ("XC40 Recharge", "C40 Recharge"),
}

# World manufacturer identifiers (VIN positions 1-3) -> the makes sold under them. Several makes
# share some WMIs (1C4: Chrysler, Dodge, Jeep): a shared one fills no make, and a page's make that
# is one of them is no disagreement.
_WMI_GROUPS = {
    ("Acura",): "19U 19V JH4 5J8",
    ("Alfa Romeo",): "ZAR",
    ("Aston Martin",): "SCF",
    ("Audi",): "WAU WA1 WUA TRU",
    ("Bentley",): "SCB",
    ("BMW",): "WBA WBS WBY WBX WBW 5UX 5UJ 5YM 4US",
    ("Buick",): "1G4 2G4 KL4 5GA LRB W04",
    ("Cadillac",): "1G6 1GY",
    ("Chevrolet",): "1G1 1GC 1GN 1GB 2G1 2GC 2GN 3G1 3GC 3GN 3GB KL1 KL7 KL8",
    ("Chrysler", "Dodge"): "1C3 2C3 2C4 2A4 2A8",
    ("Chrysler", "Dodge", "Jeep"): "1C4 3C4",
    ("Dodge",): "1B3 2B3 1D4 2D4",
    ("Dodge", "Ram"): "1D7 3D7 1C6 3C6 3C7",
    ("Ferrari",): "ZFF",
    ("Fiat",): "ZFA 3C3",
    ("Ford",): "1FA 1FB 1FC 1FD 1FM 1FT 1ZV 2FA 2FM 2FT 3FA 3FM 3FT MAJ NM0 WF0",
    ("Genesis",): "KMT KMU",
    ("GMC",): "1GT 1GK 1GD 2GT 2GK 3GT 3GK",
    ("Honda",): "1HG 2HG 3HG JHM JHL 5FN 5J6 7FA 2HK SHH 19X",
    ("Hummer",): "5GR 5GT",
    ("Hyundai",): "KMH KM8 5NP 5NM 5NT",
    ("Hyundai", "Kia"): "5XY",
    ("Infiniti",): "JNK JNR 5N3 3PC",
    ("Jaguar",): "SAJ SAD",
    ("Jeep",): "1J4 1J8",
    ("Jeep", "Ram"): "ZAC",
    ("Kia",): "KNA KND KNE 3KP 5XX",
    ("Lamborghini",): "ZHW",
    ("Land Rover",): "SAL",
    ("Lexus",): "JTH JTJ 2T2 58A",
    ("Lincoln",): "1LN 2LM 3LN 5LM 5LT",
    ("Lotus",): "SCC",
    ("Lucid",): "50E",
    ("Maserati",): "ZAM",
    ("Mazda",): "JM1 JM3 3MZ 3MV 4F2 1YV",
    ("Mercedes-Benz",): "WDB WDD WDC W1K W1N W1V 4JG 55S",
    ("Mercedes-Benz", "Freightliner"): "WD3 WD4 WDA WDP",
    ("Mercury",): "1ME 2ME 4M2",
    ("Mini",): "WMW WMZ",
    ("Mitsubishi",): "JA3 JA4 4A3 4A4 ML3",
    ("Nissan",): "JN1 JN8 1N4 1N6 3N1 3N6 5N1",
    ("Polestar",): "LPS",
    ("Pontiac",): "1G2 2G2 5Y2",
    ("Porsche",): "WP0 WP1",
    ("Rivian",): "7PD",
    ("Rolls-Royce",): "SCA",
    ("Saab",): "YS3",
    ("Saturn",): "1G8 5GZ",
    ("Subaru",): "JF2 4S3 4S4",
    ("Subaru", "Scion", "Toyota"): "JF1",
    ("Suzuki",): "JS2 JS3 2S3",
    ("Tesla",): "5YJ 7SA LRW XP7",
    ("Toyota",): "4T1 4T3 4T4 JT2 JT3 JT4 JTD JTE JTM JTN JTL 2T1 2T3 3TM 3TY 5TB 5TD 5TE 5TF 5YF NMT",
    ("Toyota", "Scion"): "JTK 3MY",
    ("Volkswagen",): "WVW WVG WV1 WV2 3VW 1VW 3VV 1V2",
    ("Volvo",): "YV1 YV4 7JR LYV",
}
WMI_MAKES = {wmi: makes for makes, wmis in _WMI_GROUPS.items() for wmi in wmis.split()}
