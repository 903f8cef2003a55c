export const other = async () => 1;
