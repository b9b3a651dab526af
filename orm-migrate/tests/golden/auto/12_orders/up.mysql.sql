-- Written by `generate --auto` from the models; review it before applying.

CREATE TABLE `aut_orders` (
  `tenant_id` BIGINT NOT NULL,
  `order_no` BIGINT NOT NULL,
  PRIMARY KEY (`tenant_id`, `order_no`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE `aut_lines` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `tenant_id` BIGINT NOT NULL,
  `order_no` BIGINT NOT NULL,
  INDEX `aut_lines_tenant_id_order_no_idx` (`tenant_id`, `order_no`),
  CONSTRAINT `aut_lines_tenant_id_order_no_fkey` FOREIGN KEY (`tenant_id`, `order_no`) REFERENCES `aut_orders` (`tenant_id`, `order_no`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
