//! Synthetic scale data shared by the benches: ~120-word articles from a contact-center vocabulary and
//! vectors drawn around 300 random unit centroids (normalised), seeded so runs are comparable.
#![allow(dead_code)]

use assist_core::domain::Article;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const DIM: usize = 384;
const WORDS: &[&str] = &[
    "account",
    "password",
    "reset",
    "login",
    "refund",
    "charge",
    "billing",
    "invoice",
    "payment",
    "card",
    "declined",
    "order",
    "delivery",
    "address",
    "shipping",
    "parcel",
    "tracking",
    "return",
    "exchange",
    "warranty",
    "plan",
    "upgrade",
    "downgrade",
    "subscription",
    "cancel",
    "renewal",
    "discount",
    "coupon",
    "router",
    "modem",
    "internet",
    "outage",
    "signal",
    "roaming",
    "data",
    "voicemail",
    "sim",
    "activation",
    "porting",
    "number",
    "contract",
    "fee",
    "late",
    "credit",
    "balance",
    "statement",
    "agent",
    "supervisor",
    "escalation",
    "callback",
    "hours",
    "store",
    "pickup",
    "device",
    "firmware",
    "update",
    "restart",
    "settings",
    "email",
    "verification",
    "code",
    "security",
    "fraud",
    "dispute",
    "chargeback",
    "bank",
    "transfer",
    "wallet",
    "app",
    "crash",
    "error",
    "screen",
    "battery",
    "replacement",
    "appointment",
    "technician",
    "install",
    "customer",
    "the",
    "to",
    "and",
    "your",
    "if",
    "then",
    "select",
    "open",
    "choose",
    "within",
    "days",
    "after",
    "before",
    "when",
    "can",
];

pub fn word(rng: &mut StdRng) -> &'static str {
    let x: f64 = rng.gen::<f64>();
    WORDS[((x * x) * WORDS.len() as f64) as usize % WORDS.len()]
}

pub fn text(rng: &mut StdRng, words: usize) -> String {
    (0..words).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

pub fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

pub fn random_unit(rng: &mut StdRng) -> Vec<f32> {
    normalised((0..DIM).map(|_| rng.gen::<f32>() - 0.5).collect())
}

pub fn near(rng: &mut StdRng, centre: &[f32]) -> Vec<f32> {
    normalised(
        centre
            .iter()
            .map(|c| c + 0.08 * (rng.gen::<f32>() - 0.5))
            .collect(),
    )
}

/// Articles with vectors, and the cluster centroids the vectors were drawn around.
pub type Synthetic = (Vec<(Article, Vec<f32>)>, Vec<Vec<f32>>);

pub fn synthetic(n: usize, seed: u64) -> Synthetic {
    let mut rng = StdRng::seed_from_u64(seed);
    let centroids: Vec<Vec<f32>> = (0..300).map(|_| random_unit(&mut rng)).collect();
    let entries = (0..n)
        .map(|i| {
            let title = format!("{} {} E-{:04}", word(&mut rng), word(&mut rng), i % 9973);
            let article = Article {
                id: format!("KB-{i:06}"),
                title,
                content: text(&mut rng, 120),
                url: None,
                updated_at: None,
            };
            let c = &centroids[rng.gen_range(0..centroids.len())];
            (article, near(&mut rng, c))
        })
        .collect();
    (entries, centroids)
}
