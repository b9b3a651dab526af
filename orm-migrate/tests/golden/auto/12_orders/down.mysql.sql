-- Written by `generate --auto` from the models; review it before applying.
-- WARNING: table `aut_lines` is dropped, with its rows
-- WARNING: table `aut_orders` is dropped, with its rows

DROP TABLE `aut_lines`;

DROP TABLE `aut_orders`;
