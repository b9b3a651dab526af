// Sequelize on the workloads of bench/peers, against the data that
// `cargo run --release` there leaves in place (schema/database orm_peers).
// Prints per-iteration medians and, from ../peers/target/ours.json (written
// by the same run of the Rust peers bench), the ratio ORM / Sequelize.
'use strict';
const { Sequelize, DataTypes } = require('sequelize');
const fs = require('fs');
const path = require('path');

function define(sequelize) {
  const opts = { timestamps: false, underscored: true };
  const User = sequelize.define('User', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    name: DataTypes.STRING,
    hair_color: DataTypes.STRING,
  }, { ...opts, tableName: 'users' });
  const Post = sequelize.define('Post', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    user_id: DataTypes.BIGINT,
    title: DataTypes.STRING,
    body: DataTypes.TEXT,
  }, { ...opts, tableName: 'posts' });
  const Comment = sequelize.define('Comment', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    post_id: DataTypes.BIGINT,
    text: DataTypes.STRING,
  }, { ...opts, tableName: 'comments' });
  User.hasMany(Post, { foreignKey: 'user_id', as: 'posts' });
  Post.hasMany(Comment, { foreignKey: 'post_id', as: 'comments' });
  return { User, Post, Comment };
}

const WORKLOADS = [
  ['W1 select users, 1 row', 'W1', 1, 200],
  ['W1 select users, 10,000 rows', 'W1', 10000, 5],
  ['W2 users + posts, hair_color filter', 'W2', 0, 5],
  ['W3 100 sequential find_by_pk', 'W3', 0, 1],
  ['W4 users -> posts -> comments, 100', 'W4', 100, 20],
  ['W4 users -> posts -> comments, 1,000', 'W4', 1000, 2],
  ['W4 users -> posts -> comments, 10,000', 'W4', 10000, 1],
  ['W5 bulk insert 100 rows', 'W5', 100, 20],
  ['W5 bulk insert 5,000 rows', 'W5', 5000, 2],
  ['W6 load 100, change one field, save each', 'W6', 0, 1],
];

let renames = 0;

async function work(sequelize, m, w, n, dialect) {
  const { User, Post, Comment } = m;
  switch (w) {
    case 'W1': { const r = await User.findAll({ order: [['id', 'ASC']], limit: n }); if (r.length !== n) throw new Error('W1'); break; }
    case 'W2': { const r = await User.findAll({ where: { hair_color: 'black' }, include: [{ model: Post, as: 'posts' }] }); if (r.length !== 5000) throw new Error('W2'); break; }
    case 'W3': { for (let id = 1; id <= 100; id++) { if (!(await User.findByPk(id * 97))) throw new Error('W3'); } break; }
    case 'W4': {
      const r = await User.findAll({ order: [['id', 'ASC']], limit: n, include: [{ model: Post, as: 'posts', separate: true, include: [{ model: Comment, as: 'comments', separate: true }] }] });
      if (r.length !== n) throw new Error('W4');
      break;
    }
    case 'W5': {
      const t = await sequelize.transaction();
      const rows = Array.from({ length: n }, (_, i) => ({ name: `New ${i}`, hair_color: 'red' }));
      const made = await User.bulkCreate(rows, { transaction: t, returning: dialect === 'postgres' });
      if (made.length !== n) throw new Error('W5');
      await t.rollback();
      break;
    }
    default: {
      const users = await User.findAll({ order: [['id', 'ASC']], limit: 100 });
      // A new value every time, so that save() really writes (Sequelize skips unchanged rows).
      for (const u of users) { u.name = `Renamed ${renames++}`; await u.save(); }
    }
  }
}

async function bench(dialect, url, options) {
  const sequelize = new Sequelize(url, { logging: false, pool: { max: 5 }, ...options });
  await sequelize.authenticate();
  const m = define(sequelize);
  const out = {};
  for (const [label, w, n, iters] of WORKLOADS) {
    const times = [];
    for (let round = 0; round <= 11; round++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) await work(sequelize, m, w, n, dialect);
      if (round > 0) times.push(Number(process.hrtime.bigint() - start) / 1e6 / iters);
    }
    times.sort((a, b) => a - b);
    out[label] = times[Math.floor(times.length / 2)];
  }
  await sequelize.close();
  return out;
}

(async () => {
  const results = {
    postgres: await bench('postgres', 'postgres://postgres@127.0.0.1:5432/test', { searchPath: 'orm_peers', dialectOptions: { prependSearchPath: true } }),
    mysql: await bench('mysql', 'mysql://root@127.0.0.1:3306/orm_peers', {}),
  };
  let ours = {};
  try { ours = JSON.parse(fs.readFileSync(path.join(__dirname, '../peers/target/ours.json'), 'utf8')); } catch (_) { /* run the Rust peers bench first */ }
  for (const dialect of ['postgres', 'mysql']) {
    console.log(`\n| workload (${dialect}) | Sequelize ms/iter | ORM ms/iter | ORM / Sequelize |\n|---|---|---|---|`);
    for (const [label] of WORKLOADS) {
      const s = results[dialect][label];
      const o = ours[dialect] && ours[dialect][label];
      console.log(`| ${label} | ${s.toFixed(3)} | ${o ? o.toFixed(3) : '-'} | ${o ? (o / s).toFixed(3) : '-'} |`);
    }
  }
})().catch((e) => { console.error(e); process.exit(1); });
