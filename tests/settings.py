"""Where the test session keeps its files, and the settings of the stack it starts."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"

# Settings of the test stack: production defaults, except a wider API budget (the suite uploads
# thousands of images within minutes), a short claim expiry (the crash-and-resume tests) and a
# dealer origin allowed to read the read API from a browser (the CORS tests), and the dealer's
# details the listing feeds need (the feed tests).
TEST_PROCESSOR_VARS = {
    "IMAGES_API_REQUESTS_PER_MINUTE": "1000",
    "CLAIM_TTL_S": "15",
    "ALLOWED_ORIGINS": "https://www.dealer.example",
    "GOOGLE_STORE_CODE": "LAMBERT-1",
    "DEALER_NAME": "Lambert Motors (test)",
    "DEALER_ADDRESS": "100 Example Avenue; Springfield; IL; 62701; US",
}
