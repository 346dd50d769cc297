"""Word lists the demo builds Dutch names and texts from (picked by index, so generation stays vectorised)."""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Jan", "Pieter", "Kees", "Henk", "Willem", "Bas", "Daan", "Thijs", "Bram", "Ruben",
    "Lars", "Sem", "Jeroen", "Mark", "Martijn", "Sander", "Niels", "Joost", "Maarten", "Erik",
    "Rob", "Frank", "Gert-Jan", "Wouter", "Koen", "Tim", "Luuk", "Stijn", "Jesse", "Daniël",
    "Anna", "Emma", "Sanne", "Lotte", "Fleur", "Anouk", "Eva", "Femke", "Iris", "Lisa",
    "Marieke", "Esther", "Ingrid", "Linda", "Monique", "Sophie", "Julia", "Noor", "Maud", "Zoë",
    "Ilse", "Janneke", "Karin", "Petra", "Mirjam", "Saskia", "Evelien", "Annemiek", "Renske", "Yvonne",
    "Mohamed", "Fatima", "Youssef", "Aylin", "Emre", "Priya",
)  # fmt: skip

# As written after a first name: tussenvoegsels in lower case ("Sanne de Vries").
LAST_NAMES: tuple[str, ...] = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer",
    "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen",
    "van den Broek", "de Bruijn", "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet",
    "van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins",
    "Blom", "Huisman", "Peeters", "de Ruiter", "Kuipers", "Postma", "van Wijk", "Kramer",
    "van den Bosch", "Hoek", "Scholten", "Groen", "Sanders", "Timmermans", "Veenstra", "Gerritsen",
    "Koopman", "Bosman", "Verbeek", "Hermans", "Stam", "Molenaar", "de Lange", "Brink", "van Rijn",
    "Zijlstra", "Kuijpers", "Wolters", "Evers", "Boersma", "Hofman", "Lammers", "Mertens",
    "Claassen", "Haverkamp", "Wouters", "Jonker", "Beekman", "Koning", "van 't Hof", "ten Have",
    "IJzerman", "Huijbregts", "El Amrani", "Yilmaz", "Nguyen", "Bouzid",
)  # fmt: skip

# Company name parts: "<Surname> <branch>", "<Prefix><suffix> <branch>", "Stichting <care> <city>", ...
# Each branch (care word, cooperative word) with the industry (see INDUSTRIES) the CRM files it under.
BRANCHES: tuple[tuple[str, str], ...] = (
    ("Installatietechniek", "Installatietechniek"), ("Bouw", "Bouw"), ("Transport", "Logistiek"),
    ("Logistiek", "Logistiek"), ("Metaalbewerking", "Productie"), ("Techniek", "Productie"),
    ("Elektrotechniek", "Installatietechniek"), ("Adviesgroep", "Zakelijke dienstverlening"),
    ("Accountants", "Financiële dienstverlening"), ("Advocaten", "Zakelijke dienstverlening"),
    ("Makelaardij", "Zakelijke dienstverlening"), ("Schilders", "Bouw"), ("Dakdekkers", "Bouw"),
    ("Machinebouw", "Productie"), ("Verpakkingen", "Productie"), ("Kunststoffen", "Productie"),
    ("Groothandel", "Retail"), ("Zuivel", "Agrarisch"), ("Bakkerij", "Retail"), ("Tuinbouw", "Agrarisch"),
    ("Hoveniers", "Agrarisch"), ("Automatisering", "ICT"), ("Vastgoed", "Financiële dienstverlening"),
    ("Beveiliging", "Zakelijke dienstverlening"), ("Schoonmaak", "Zakelijke dienstverlening"),
    ("Uitzendbureau", "Zakelijke dienstverlening"), ("Drukkerij", "Productie"), ("Meubelfabriek", "Productie"),
    ("Staalbouw", "Bouw"), ("Koeltechniek", "Installatietechniek"), ("Energie", "Energie"), ("Infra", "Bouw"),
    ("Grondverzet", "Bouw"), ("Houthandel", "Retail"), ("Interieurbouw", "Bouw"),
)  # fmt: skip
BRAND_PREFIXES: tuple[str, ...] = (
    "Tech", "Data", "Agro", "Medi", "Trans", "Infra", "Eco", "Inno", "Nova", "Vita", "Metro",
    "Aqua", "Euro", "Holland", "Delta", "Polder", "Dijk", "Groen", "Noordzee", "Rijn",
)  # fmt: skip
BRAND_SUFFIXES: tuple[str, ...] = (
    "nova", "tec", "plan", "works", "logic", "point", "line", "net", "care", "form", "mark",
    "vision", "flow", "dam", "veld",
)  # fmt: skip
PARTNER_SUFFIXES: tuple[str, ...] = ("& Zn.", "en Zonen", "& Partners", "en Partners")
PARTNERS_INDUSTRY = "Zakelijke dienstverlening"
CARE_WORDS: tuple[tuple[str, str], ...] = (
    ("Zorggroep", "Zorg"), ("Woonzorg", "Zorg"), ("Onderwijsgroep", "Onderwijs"), ("Jeugdzorg", "Zorg"),
    ("Thuiszorg", "Zorg"), ("Wooncorporatie", "Overheid"), ("Scholengroep", "Onderwijs"),
    ("Kinderopvang", "Onderwijs"), ("Welzijn", "Zorg"),
)  # fmt: skip
COOPERATIVE_WORDS: tuple[tuple[str, str], ...] = (
    ("Zuivel", "Agrarisch"), ("Akkerbouw", "Agrarisch"), ("Bloemen", "Agrarisch"), ("Energie", "Energie"),
    ("Fruitteelt", "Agrarisch"), ("Glastuinbouw", "Agrarisch"),
)  # fmt: skip

CITIES: tuple[str, ...] = (
    "Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg", "Almere",
    "Breda", "Nijmegen", "Apeldoorn", "Haarlem", "Arnhem", "Enschede", "Amersfoort", "Zaanstad",
    "Den Bosch", "Zwolle", "Leiden", "Maastricht", "Dordrecht", "Zoetermeer", "Ede", "Leeuwarden",
    "Alkmaar", "Emmen", "Delft", "Venlo", "Deventer", "Helmond", "Hilversum", "Heerlen", "Oss",
    "Amstelveen", "Sittard", "Hengelo", "Roosendaal", "Purmerend", "Assen", "Gouda", "Veenendaal",
    "Middelburg", "Harderwijk", "Drachten", "Zeist", "Hoorn", "Den Helder", "Doetinchem",
)  # fmt: skip
INDUSTRIES: tuple[str, ...] = (
    "Bouw", "Installatietechniek", "Logistiek", "Zorg", "Onderwijs", "Overheid", "Retail",
    "Financiële dienstverlening", "Productie", "Agrarisch", "ICT", "Energie", "Zakelijke dienstverlening",
)  # fmt: skip

# What the firm sells: deal names are "<project> <account>".
PROJECTS: tuple[str, ...] = (
    "ERP-implementatie", "CRM-implementatie", "Exact Online koppeling", "Datawarehouse", "Cloudmigratie",
    "Procesoptimalisatie", "ISO 27001 traject", "AVG-audit", "Power BI dashboards", "Werkplekbeheer",
    "Netwerkvernieuwing", "Digitale transformatie", "SAP upgrade", "Microsoft 365 migratie",
    "Planningssysteem", "Klantportaal", "Data-analyse", "Interim projectleiding", "Lean traject",
    "HR-systeem", "Voorraadbeheer", "E-facturatie", "Integratieplatform", "Security assessment",
)  # fmt: skip
# Deals created by mistake; "{c}" is the account's name.
MISTAKE_DEAL_NAMES: tuple[str, ...] = ("Test", "test deal", "Nieuwe deal", "Kopie van {c}", "{c} (niet gebruiken)")
LOST_REASONS: tuple[str, ...] = (
    "Prijs te hoog", "Gekozen voor concurrent", "Geen budget", "Project uitgesteld", "Geen reactie meer",
    "Interne oplossing", "Scope past niet",
)  # fmt: skip

# Billing texts. "{q}" = quote number, "{p}" = project, "{m}" = Dutch month and year.
QUOTE_REFERENCE_TEXTS: tuple[str, ...] = (
    "Betreft offerte {q} implementatie", "Conform offerte {q}", "Uw opdracht n.a.v. offerte {q}",
    "Offerte {q} {p}",
)  # fmt: skip
FREE_REFERENCE_TEXTS: tuple[str, ...] = (
    "Werkzaamheden {p}", "Implementatie {p} conform afspraak", "Project {p} {m}", "Consultancy {m}",
)  # fmt: skip
CREDIT_REFERENCE_TEXTS: tuple[str, ...] = ("Creditnota offerte {q}", "Correctie {p}")
LINE_DESCRIPTIONS: tuple[str, ...] = (
    "Consultancy", "Implementatie", "Projectmanagement", "Training", "Configuratie en inrichting",
    "Datamigratie", "Testen en acceptatie", "Licenties", "Nazorg en support",
)  # fmt: skip
SUPPORT_LINE_DESCRIPTIONS: tuple[str, ...] = (
    "Ondersteuning uren {m}", "Ondersteuning senior consultant {m}", "Reistijd {m}",
)  # fmt: skip
SUPPORT_REFERENCE_TEXT = "Ondersteuning uren {m}"
HOURLY_RATES_EUR: tuple[int, ...] = (100, 110, 125, 140, 165)
MONTHS_NL: tuple[str, ...] = (
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
    "oktober", "november", "december",
)  # fmt: skip
