//! Unit trees tests share, as the CSV text a tree file holds
//! (`code,parent_code,tier,name`, and for some `reporting`, `active_from`,
//! `active_to`, `moves`). All hang under district 410411 湛河区; a tree a
//! single test needs for its own shape stays in that test.

/// District 410411 湛河区 → township 410411001 马庄街道, nothing below.
pub const DISTRICT_AND_TOWNSHIP: &str = "code,parent_code,tier,name\n\
    410411,,district,湛河区\n\
    410411001,410411,township,马庄街道\n";

/// District 410411 湛河区 → township 410411001 马庄街道 → community
/// 410411001001 电力社区 → group 410411001001001 1号楼; beside it township
/// 410411002 南环路街道 with nothing below.
pub const ONE_GROUP: &str = "code,parent_code,tier,name\n\
    410411,,district,湛河区\n\
    410411001,410411,township,马庄街道\n\
    410411001001,410411001,community,电力社区\n\
    410411001001001,410411001001,group,1号楼\n\
    410411002,410411,township,南环路街道\n";

/// [`ONE_GROUP`] with a second group 410411001001002 2号楼 under 电力社区.
pub const TWO_GROUPS: &str = "code,parent_code,tier,name\n\
    410411,,district,湛河区\n\
    410411001,410411,township,马庄街道\n\
    410411001001,410411001,community,电力社区\n\
    410411001001001,410411001001,group,1号楼\n\
    410411001001002,410411001001,group,2号楼\n\
    410411002,410411,township,南环路街道\n";

/// The store conformance tree: district 410411 湛河区 → township 410411001
/// 马庄街道 → community 410411001001 电力社区 → groups 410411001001001 1号楼
/// and 410411001001002 2号楼; and township 410411002 南环路街道 → community
/// 410411002001 某村 → group 410411002001001 第一村民组. All reporting,
/// always active.
pub const CONFORMANCE: &str = "code,parent_code,tier,name\n\
    410411,,district,湛河区\n\
    410411001,410411,township,马庄街道\n\
    410411001001,410411001,community,电力社区\n\
    410411001001001,410411001001,group,1号楼\n\
    410411001001002,410411001001,group,2号楼\n\
    410411002,410411,township,南环路街道\n\
    410411002001,410411002,community,某村\n\
    410411002001001,410411002001,group,第一村民组\n";

/// [`CONFORMANCE`] with group 410411001001002 2号楼 moved from 电力社区
/// (township 马庄街道) to 某村 (township 南环路街道) on 2026-11-15.
pub const CONFORMANCE_MOVED: &str = "code,parent_code,tier,name,reporting,active_from,active_to,moves\n\
    410411,,district,湛河区,true,,,\n\
    410411001,410411,township,马庄街道,true,,,\n\
    410411001001,410411001,community,电力社区,true,,,\n\
    410411001001001,410411001001,group,1号楼,true,,,\n\
    410411001001002,410411002001,group,2号楼,true,,,410411001001@2026-11-15\n\
    410411002,410411,township,南环路街道,true,,,\n\
    410411002001,410411002,community,某村,true,,,\n\
    410411002001001,410411002001,group,第一村民组,true,,,\n";

/// District 410411 湛河区 → township 410411001 马庄街道 → community
/// 410411001001 电力社区 → `groups` groups 410411001001001, 410411001001002 …
/// named 1号楼, 2号楼 …; all reporting, always active.
pub fn one_community(groups: usize) -> String {
    let mut csv = String::from(
        "code,parent_code,tier,name\n410411,,district,湛河区\n410411001,410411,township,马庄街道\n\
         410411001001,410411001,community,电力社区\n",
    );
    for group in 1..=groups {
        csv.push_str(&format!("410411001001{group:03},410411001001,group,{group}号楼\n"));
    }
    csv
}

/// Above the summary boundary: city 4104 平顶山市 → districts 410411 湛河区
/// (townships 410411001 马庄街道, 410411002 南环路街道, as in
/// [`CONFORMANCE`]) and 410402 新华区 (township 410402001 曙光街街道), down
/// to the townships: what a city node holds.
pub const CITY_TWO_DISTRICTS: &str = "code,parent_code,tier,name\n\
    4104,,city,平顶山市\n\
    410411,4104,district,湛河区\n\
    410411001,410411,township,马庄街道\n\
    410411002,410411,township,南环路街道\n\
    410402,4104,district,新华区\n\
    410402001,410402,township,曙光街街道\n";

/// District 410402 新华区 → township 410402001 曙光街街道 → community
/// 410402001001 某社区 → groups 1号楼, 2号楼, 3号楼: the second district
/// under [`CITY_TWO_DISTRICTS`].
pub const XINHUA: &str = "code,parent_code,tier,name\n\
    410402,,district,新华区\n\
    410402001,410402,township,曙光街街道\n\
    410402001001,410402001,community,某社区\n\
    410402001001001,410402001001,group,1号楼\n\
    410402001001002,410402001001,group,2号楼\n\
    410402001001003,410402001001,group,3号楼\n";
