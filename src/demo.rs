//! `salon seed-demo`: a realistic small salon, so that a newcomer opening `/docs` has
//! something to try. Every step looks its row up first, so running it twice adds nothing.

use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::auth::Role;
use crate::catalog::model::{CreateAssignmentRequest, CreateCategoryRequest, CreateServiceRequest};
use crate::catalog::{service as catalog, store as catalog_store};
use crate::error::ApiError;
use crate::inventory::model::{CreateProductRequest, RecipeItem, RecipeRequest};
use crate::inventory::{service as inventory, store as inventory_store};
use crate::staff::model::{CreateStaffRequest, IntervalInput, ScheduleRequest};
use crate::staff::{service as staff, store as staff_store};
use crate::users::store as users_store;

/// The password of every demo staff account.
pub const DEMO_PASSWORD: &str = "demo-password";

const CATEGORIES: &[(&str, &str)] = &[
    ("Hair", "Cuts and styling"),
    ("Colour", "Colour, highlights and balayage"),
    ("Beard & shave", "Beard trims and traditional shaves"),
    ("Nails", "Manicures and pedicures"),
];

/// (name, category, duration, buffer, price in cents)
const SERVICES: &[(&str, &str, i32, i32, i64)] = &[
    ("Men's cut", "Hair", 30, 5, 3500),
    ("Women's cut", "Hair", 45, 10, 5500),
    ("Children's cut", "Hair", 20, 5, 2200),
    ("Blow-dry", "Hair", 30, 5, 3000),
    ("Updo", "Hair", 60, 10, 7500),
    ("Root touch-up", "Colour", 60, 15, 6500),
    ("Full colour", "Colour", 120, 15, 11000),
    ("Highlights", "Colour", 150, 15, 14000),
    ("Balayage", "Colour", 180, 15, 18000),
    ("Beard trim", "Beard & shave", 20, 5, 1800),
    ("Hot towel shave", "Beard & shave", 30, 10, 3000),
    ("Manicure", "Nails", 40, 10, 3500),
    ("Pedicure", "Nails", 50, 10, 4500),
];

struct DemoStaff {
    email: &'static str,
    full_name: &'static str,
    display_name: &'static str,
    bio: &'static str,
    /// (weekdays, intervals)
    hours: (&'static [i64], &'static [(&'static str, &'static str)]),
    /// (service, price override, duration override)
    services: &'static [(&'static str, Option<i64>, Option<i32>)],
}

const STAFF: &[DemoStaff] = &[
    DemoStaff {
        email: "jane@salon.example",
        full_name: "Jane Moreau",
        display_name: "Jane",
        bio: "Owner and senior stylist; cuts and colour for twenty years.",
        hours: (&[1, 2, 3, 4, 5], &[("09:00", "13:00"), ("14:00", "18:00")]),
        services: &[
            ("Women's cut", Some(6500), None),
            ("Men's cut", None, None),
            ("Blow-dry", None, None),
            ("Full colour", Some(12500), None),
            ("Highlights", None, None),
            ("Updo", None, None),
        ],
    },
    DemoStaff {
        email: "marco@salon.example",
        full_name: "Marco Silva",
        display_name: "Marco",
        bio: "Barber: skin fades, beard sculpting and hot towel shaves.",
        hours: (&[2, 3, 4, 5, 6], &[("10:00", "14:00"), ("14:30", "19:00")]),
        services: &[
            ("Men's cut", Some(4000), Some(25)),
            ("Children's cut", None, None),
            ("Beard trim", None, None),
            ("Hot towel shave", None, None),
        ],
    },
    DemoStaff {
        email: "aisha@salon.example",
        full_name: "Aisha Khan",
        display_name: "Aisha",
        bio: "Colour specialist: balayage, highlights and colour correction.",
        hours: (&[1, 3, 5], &[("08:00", "12:00"), ("12:30", "16:00")]),
        services: &[
            ("Root touch-up", None, None),
            ("Full colour", None, Some(105)),
            ("Highlights", None, None),
            ("Balayage", Some(19500), None),
        ],
    },
    DemoStaff {
        email: "tom@salon.example",
        full_name: "Tom Becker",
        display_name: "Tom",
        bio: "Stylist for cuts and blow-dries; evenings and weekends.",
        hours: (&[4, 5, 6, 7], &[("11:00", "15:00"), ("15:30", "20:00")]),
        services: &[
            ("Men's cut", None, None),
            ("Women's cut", None, None),
            ("Children's cut", None, None),
            ("Blow-dry", None, None),
        ],
    },
    DemoStaff {
        email: "lena@salon.example",
        full_name: "Lena Park",
        display_name: "Lena",
        bio: "Nail technician; also styles blow-dries.",
        hours: (&[1, 2, 3, 4, 5], &[("09:30", "12:30"), ("13:00", "17:30")]),
        services: &[("Manicure", None, None), ("Pedicure", None, None), ("Blow-dry", Some(2800), None)],
    },
];

/// (SKU, name, brand, category, cost, price, retail, stock, reorder threshold, reorder quantity)
type DemoProduct = (&'static str, &'static str, &'static str, &'static str, i64, i64, bool, i64, i64, i64);

const PRODUCTS: &[DemoProduct] = &[
    ("SHMP-REP-250", "Repair shampoo 250 ml", "Lumen", "Hair care", 650, 1800, true, 24, 6, 12),
    ("COND-REP-250", "Repair conditioner 250 ml", "Lumen", "Hair care", 700, 1950, true, 18, 6, 12),
    ("MASK-HYD-200", "Hydrating mask 200 ml", "Lumen", "Hair care", 980, 2900, true, 8, 3, 6),
    ("OIL-ARG-50", "Argan finishing oil 50 ml", "Lumen", "Styling", 900, 2600, true, 10, 3, 6),
    ("WAX-MATTE-75", "Matte styling wax 75 ml", "Forma", "Styling", 450, 1500, true, 15, 4, 12),
    ("SPRAY-HOLD-300", "Strong hold hairspray 300 ml", "Forma", "Styling", 380, 1300, true, 12, 4, 12),
    ("CLR-6N-60", "Permanent colour 6N, 60 ml tube", "Chroma", "Colour", 520, 0, false, 40, 10, 24),
    ("CLR-8G-60", "Permanent colour 8G, 60 ml tube", "Chroma", "Colour", 520, 0, false, 30, 10, 24),
    ("DEV-20V-100", "Developer 20 vol, 100 ml", "Chroma", "Colour", 160, 0, false, 60, 15, 48),
    ("LIGHT-30G", "Lightener, 30 g sachet", "Chroma", "Colour", 210, 0, false, 50, 12, 40),
];

/// What one performance of the colour services uses: (service, [(SKU, quantity)]).
const RECIPES: &[(&str, &[(&str, i64)])] = &[
    ("Root touch-up", &[("CLR-6N-60", 1), ("DEV-20V-100", 1)]),
    ("Full colour", &[("CLR-6N-60", 2), ("DEV-20V-100", 2)]),
    ("Highlights", &[("LIGHT-30G", 2), ("DEV-20V-100", 1)]),
    ("Balayage", &[("LIGHT-30G", 3), ("DEV-20V-100", 2), ("CLR-8G-60", 1)]),
];

/// What a run added.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seeded {
    pub categories: usize,
    pub services: usize,
    pub staff: usize,
    pub assignments: usize,
    pub products: usize,
    pub recipes: usize,
}

/// Adds whatever part of the demo salon is missing.
///
/// # Errors
/// Database failures.
pub async fn seed(db: &DatabaseConnection) -> anyhow::Result<Seeded> {
    let mut added = Seeded::default();
    for (name, description) in CATEGORIES {
        if catalog_store::find_category_by_name(db, name).await?.is_none() {
            let req =
                CreateCategoryRequest { name: (*name).into(), description: Some((*description).into()) };
            catalog::create_category(db, req).await.map_err(api)?;
            added.categories += 1;
        }
    }
    for (name, category, duration, buffer, price) in SERVICES {
        if catalog_store::find_service_by_name(db, name).await?.is_none() {
            let category =
                catalog_store::find_category_by_name(db, category).await?.context("demo category")?;
            let req = CreateServiceRequest {
                name: (*name).into(),
                category_id: Some(category.id),
                description: None,
                duration_minutes: *duration,
                buffer_minutes: Some(*buffer),
                price_cents: *price,
                deposit_cents: None,
                deposit_percent: None,
            };
            catalog::create_service(db, req).await.map_err(api)?;
            added.services += 1;
        }
    }
    for person in STAFF {
        let profile = match users_store::find_by_email(db, person.email).await? {
            Some(user) => staff_store::find_by_user(db, user.id)
                .await?
                .context("demo email used by a non-staff account")?,
            None => {
                let req = CreateStaffRequest {
                    email: person.email.into(),
                    full_name: person.full_name.into(),
                    display_name: Some(person.display_name.into()),
                    password: Some(DEMO_PASSWORD.into()),
                    bio: Some(person.bio.into()),
                    phone: None,
                };
                let created = staff::create(db, req).await.map_err(api)?;
                added.staff += 1;
                let (days, intervals) = person.hours;
                let week = days
                    .iter()
                    .flat_map(|&weekday| {
                        intervals.iter().map(move |(start, end)| IntervalInput {
                            weekday,
                            start: (*start).into(),
                            end: (*end).into(),
                        })
                    })
                    .collect();
                let owner = crate::auth::CurrentUser {
                    id: created
                        .staff
                        .contact
                        .as_ref()
                        .map(|c| c.user_id)
                        .context("created staff has an account")?,
                    role: Role::Staff,
                    email: person.email.into(),
                    full_name: person.full_name.into(),
                    channel: crate::auth::Channel::Api,
                };
                staff::replace_schedule(db, &owner, created.staff.id, ScheduleRequest { intervals: week })
                    .await
                    .map_err(api)?;
                staff_store::find(db, created.staff.id).await?.context("created staff")?
            }
        };
        for (service, price, duration) in person.services {
            let service = catalog_store::find_service_by_name(db, service).await?.context("demo service")?;
            if catalog_store::find_assignment_by_pair(db, profile.id, service.id).await?.is_none() {
                let req = CreateAssignmentRequest {
                    staff_id: profile.id,
                    service_id: service.id,
                    price_cents: *price,
                    duration_minutes: *duration,
                };
                catalog::create_assignment(db, req).await.map_err(api)?;
                added.assignments += 1;
            }
        }
    }
    for &(sku, name, brand, category, cost, price, retail, stock, threshold, reorder) in PRODUCTS {
        if inventory_store::find_by_sku(db, sku).await?.is_none() {
            let req = CreateProductRequest {
                sku: sku.into(),
                name: name.into(),
                brand: Some(brand.into()),
                category: Some(category.into()),
                description: None,
                cost_cents: cost,
                price_cents: price,
                tax_rate_bp: None,
                reorder_threshold: Some(threshold),
                reorder_quantity: Some(reorder),
                barcode: None,
                retail: Some(retail),
                initial_stock: Some(stock),
            };
            inventory::create_product(db, None, crate::config::JobsConfig::default().max_attempts, req)
                .await
                .map_err(api)?;
            added.products += 1;
        }
    }
    for (service, items) in RECIPES {
        let service = catalog_store::find_service_by_name(db, service).await?.context("demo service")?;
        if inventory_store::recipe(db, service.id).await?.is_empty() {
            let mut list = Vec::new();
            for (sku, quantity) in *items {
                let product = inventory_store::find_by_sku(db, sku).await?.context("demo product")?;
                list.push(RecipeItem { product_id: product.id, quantity: *quantity });
            }
            inventory::set_recipe(db, service.id, RecipeRequest { items: list }).await.map_err(api)?;
            added.recipes += 1;
        }
    }
    Ok(added)
}

fn api(err: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}
