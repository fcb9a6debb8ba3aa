//! The vocabularies of a listing: data types, purpose flags and featured
//! categories, with their stored names.

use async_graphql::Enum;

/// Data types a workspace uses, as the Workbench names them.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    Ehr,
    Survey,
    PhysicalMeasurements,
    GenomicsShortRead,
    GenomicsLongRead,
    Wearables,
}

impl DataType {
    pub const ALL: [DataType; 6] = [
        DataType::Ehr,
        DataType::Survey,
        DataType::PhysicalMeasurements,
        DataType::GenomicsShortRead,
        DataType::GenomicsLongRead,
        DataType::Wearables,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Ehr => "ehr",
            DataType::Survey => "survey",
            DataType::PhysicalMeasurements => "physical_measurements",
            DataType::GenomicsShortRead => "genomics_short_read",
            DataType::GenomicsLongRead => "genomics_long_read",
            DataType::Wearables => "wearables",
        }
    }

    pub fn parse(s: &str) -> Option<DataType> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Genomic data is released in the Controlled Tier only.
    pub fn needs_controlled_tier(self) -> bool {
        matches!(
            self,
            DataType::GenomicsShortRead | DataType::GenomicsLongRead
        )
    }
}

/// The research purpose flags of a workspace.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PurposeFlag {
    /// Disease-focused research; the disease is named beside it.
    DiseaseFocused,
    MethodsDevelopment,
    PopulationHealth,
    SocialBehavioral,
    Ancestry,
    DrugDevelopment,
    Educational,
    /// Described in `otherPurpose`.
    Other,
}

impl PurposeFlag {
    pub const ALL: [PurposeFlag; 8] = [
        PurposeFlag::DiseaseFocused,
        PurposeFlag::MethodsDevelopment,
        PurposeFlag::PopulationHealth,
        PurposeFlag::SocialBehavioral,
        PurposeFlag::Ancestry,
        PurposeFlag::DrugDevelopment,
        PurposeFlag::Educational,
        PurposeFlag::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PurposeFlag::DiseaseFocused => "disease_focused",
            PurposeFlag::MethodsDevelopment => "methods_development",
            PurposeFlag::PopulationHealth => "population_health",
            PurposeFlag::SocialBehavioral => "social_behavioral",
            PurposeFlag::Ancestry => "ancestry",
            PurposeFlag::DrugDevelopment => "drug_development",
            PurposeFlag::Educational => "educational",
            PurposeFlag::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<PurposeFlag> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The program's curated collections.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeaturedCategory {
    Community,
    Tutorial,
    Demo,
    PhenotypeLibrary,
}

impl FeaturedCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            FeaturedCategory::Community => "community",
            FeaturedCategory::Tutorial => "tutorial",
            FeaturedCategory::Demo => "demo",
            FeaturedCategory::PhenotypeLibrary => "phenotype_library",
        }
    }

    pub fn parse(s: &str) -> Option<FeaturedCategory> {
        [
            FeaturedCategory::Community,
            FeaturedCategory::Tutorial,
            FeaturedCategory::Demo,
            FeaturedCategory::PhenotypeLibrary,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Orders of the community browse.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum WorkspaceSort {
    /// Most recently published first.
    #[default]
    Newest,
    /// Most duplicated first.
    MostDuplicated,
    /// Featured listings first, then the newest.
    Featured,
}
