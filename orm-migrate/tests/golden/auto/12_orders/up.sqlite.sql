-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `aut_orders` (
  `tenant_id` INTEGER NOT NULL,
  `order_no` INTEGER NOT NULL,
  PRIMARY KEY (`tenant_id`, `order_no`)
);

CREATE TABLE `aut_lines` (
  `id` INTEGER PRIMARY KEY AUTOINCREMENT,
  `tenant_id` INTEGER NOT NULL,
  `order_no` INTEGER NOT NULL,
  CONSTRAINT `aut_lines_tenant_id_order_no_fkey` FOREIGN KEY (`tenant_id`, `order_no`) REFERENCES `aut_orders` (`tenant_id`, `order_no`) ON DELETE CASCADE
);

CREATE INDEX `aut_lines_tenant_id_order_no_idx` ON `aut_lines` (`tenant_id`, `order_no`);
