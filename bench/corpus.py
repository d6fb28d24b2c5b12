"""Generated notice titles and Notices for the benchmarks: Chinese and English, varied, never repeated."""
from __future__ import annotations

import random
from typing import Iterator

from records.notice import Notice, content_hash, notice_id

ISSUERS_ZH = ["工业和信息化部", "国家市场监督管理总局", "国家标准化管理委员会", "中国人民银行", "国家互联网信息办公室",
              "深圳市市场监督管理局", "广东省工业和信息化厅", "上海市经济和信息化委员会", "北京市地方金融监督管理局",
              "全国区块链和分布式记账技术标准化技术委员会", "中国电子技术标准化研究院", "全国金融标准化技术委员会",
              "浙江省市场监督管理局", "杭州市数据资源管理局", "中国通信标准化协会"]
TOPICS_ZH_CHAIN = ["区块链 节点服务能力要求", "区块链和分布式记账技术 参考架构", "区块链 跨链互操作技术要求",
                   "分布式记账技术 智能合约安全评估规范", "区块链 数字身份管理要求", "基于区块链的电子存证应用指南",
                   "区块链 供应链金融服务规范", "金融分布式账本技术安全规范", "区块链 隐私计算技术要求",
                   "区块链服务网络 接入规范", "区块链 数据格式规范", "联盟链 共识机制测评方法"]
TOPICS_ZH_OTHER = ["工业互联网平台 应用实施指南", "数据中心能效限定值及能效等级", "电动汽车充电设施技术要求",
                   "个人信息安全规范", "移动互联网应用程序信息服务管理", "智能家居系统 互联互通规范",
                   "网络安全等级保护 测评要求", "食品生产许可审查细则", "锂离子电池安全要求", "5G 基站节能技术要求",
                   "数字人民币 受理终端技术规范", "云计算服务 安全能力要求", "人工智能 生成式服务安全要求",
                   "工业机器人 安全规范", "公共数据资源开发利用管理办法"]
FORMS_ZH = ["关于公开征求《{t}》{lvl}标准（征求意见稿）意见的通知", "关于下达{y}年第{n}批{lvl}标准制修订计划的通知",
            "{lvl}标准《{t}》送审稿审查会在{city}召开", "关于《{t}》等{n}项{lvl}标准报批公示的通知",
            "关于发布《{t}》等{n}项{lvl}标准的公告", "《{t}》{lvl}标准将于{y}年{m}月{d}日起实施",
            "关于废止《{t}》等{n}项{lvl}标准的公告", "{issuer}关于印发《{t}》的通知",
            "{issuer}关于开展{y}年{t}试点工作的通知", "关于{t}专项检查情况的通报（第{n}期）",
            "{issuer}发布{y}年第{n}号公告：{t}", "关于征集{y}年度{t}典型案例的通知"]
LEVELS_ZH = ["国家", "行业", "团体", "地方", "金融行业", "通信行业"]
CITIES = ["北京", "上海", "深圳", "杭州", "广州", "成都", "武汉", "南京"]
TOPICS_EN_CHAIN = ["Blockchain and distributed ledger technologies — Vocabulary", "Smart contract interoperability",
                   "Distributed ledger technology for identity management", "Blockchain-based supply chain traceability",
                   "Security of digital asset custody on DLT", "Token taxonomy for distributed ledgers",
                   "Privacy and personally identifiable information protection in blockchain systems",
                   "Reference architecture for blockchain systems", "Tokenized deposits and settlement on DLT"]
TOPICS_EN_OTHER = ["Post-quantum cryptography migration", "Cloud computing service level agreements",
                   "Artificial intelligence risk management", "Cybersecurity framework profile for manufacturing",
                   "IoT device security baseline", "Data centre energy efficiency metrics", "Digital identity guidelines",
                   "Payment card data security", "Software bill of materials", "Zero trust architecture"]
FORMS_EN = ["ISO/TC 307 publishes ISO {num}: {t}", "Draft {org} standard on {t} open for comment until {m}/{d}/{y}",
            "{org} announces Candidate Recommendation: {t}", "Call for comments: {t} (DIS ballot {y}-{n:03d})",
            "{org} withdraws {t} guidance, edition {n}", "Consultation paper on {t}: responses due {d} {month} {y}",
            "Final {org} report on {t} released", "{org} workshop on {t}, session {n}",
            "NIST SP 800-{n} (Draft): {t}", "{org} approves new work item: {t}"]
ORGS = ["ISO", "IEEE", "ITU-T", "W3C", "NIST", "ETSI", "CEN-CENELEC", "BIS", "FSB", "IOSCO", "EBA", "ESMA"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
NUMBERS = ["GB/T 42570-2023", "JR/T 0184-2020", "DB4403/T 350-2023", "T/CESA 1287-2023", "ISO 22739:2024",
           "ISO/TS 23635:2022", "ITU-T X.1400", "IEEE 2418.2-2020"]


def _title(rng: random.Random) -> tuple[str, bool]:
    chain = rng.random() < 0.3
    if rng.random() < 0.7:
        topic = rng.choice(TOPICS_ZH_CHAIN if chain else TOPICS_ZH_OTHER)
        form = rng.choice(FORMS_ZH)
        return form.format(t=topic, lvl=rng.choice(LEVELS_ZH), y=rng.randint(2016, 2027), n=rng.randint(1, 60),
                           m=rng.randint(1, 12), d=rng.randint(1, 28), city=rng.choice(CITIES),
                           issuer=rng.choice(ISSUERS_ZH)), chain
    topic = rng.choice(TOPICS_EN_CHAIN if chain else TOPICS_EN_OTHER)
    return rng.choice(FORMS_EN).format(t=topic, org=rng.choice(ORGS), num=f"{rng.randint(20000, 29999)}:{rng.randint(2019, 2026)}",
                                       y=rng.randint(2016, 2027), n=rng.randint(1, 240), m=rng.randint(1, 12),
                                       d=rng.randint(1, 28), month=rng.choice(MONTHS)), chain


def titles(count: int, seed: int = 20) -> Iterator[dict[str, str]]:
    """`count` distinct classify inputs {title, summary, url, source}; about 30% about blockchain."""
    rng, seen = random.Random(seed), set()
    while len(seen) < count:
        title, _ = _title(rng)
        if title in seen:
            continue
        seen.add(title)
        n = len(seen)
        yield {"title": title, "summary": rng.choice(["", "本通知就有关事项说明如下。", "Comments are invited."]),
               "url": f"https://pub{n % 97}.example.org/notices/{n}.html", "source": f"bench-src-{n % 20:02d}"}


def notices(count: int, seed: int = 100, version: str = "1") -> list[Notice]:
    """`count` Notices with every contract field filled as a poll would; same seed, same ids."""
    rng = random.Random(seed)
    out = []
    for row in titles(count, seed):
        chain = any(k in row["title"] for k in ("区块链", "分布式", "Blockchain", "ledger", "DLT", "Token"))
        stage = rng.choice(["plan", "draft", "published", "effective", "withdrawn", None])
        numbers = rng.sample(NUMBERS, rng.randint(0, 2))
        out.append(Notice(
            id=notice_id(row["source"], row["url"]), source_id=row["source"], issuer=rng.choice(ISSUERS_ZH),
            jurisdiction=rng.choice(["CN", "CN-GD-SZ", "CN-SH", "INTL", "US", "EU"]), url=row["url"],
            title=row["title"], summary=row["summary"] or row["title"], body="正文。" * rng.randint(20, 200),
            lang="zh" if row["title"][:1] > "\u2e80" else "en", published_at="2026-11-20T16:35:00+08:00",
            fetched_at="2026-11-29T02:00:00+00:00", blockchain=chain,
            kind=rng.choice(["standard", "policy", "other"]), stage=stage,
            level=rng.choice(["international", "national", "industry", "local", "group", None]),
            standard_numbers=numbers, standard_key=numbers[0] if numbers else None,
            comment_deadline=rng.choice([None, "2026-12-31"]),
            attachments=[{"url": row["url"].replace(".html", ".pdf"), "name": "附件1.pdf"}] * rng.randint(0, 2),
            content_hash=content_hash(row["title"], stage, version), warnings=[]))
    return out
