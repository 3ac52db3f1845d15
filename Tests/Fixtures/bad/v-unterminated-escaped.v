module top (input a, output y);
  INV \u1