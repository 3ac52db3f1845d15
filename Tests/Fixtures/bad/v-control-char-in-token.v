module t("ab");
endmodule
